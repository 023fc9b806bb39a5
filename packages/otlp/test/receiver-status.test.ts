import assert from 'node:assert/strict';
import { permanentError, retryableError } from '@sluice/pdata';
import { refusalStatus } from '../src/receiver/status';

describe('receiver: refusal statuses from the error catalogue', () => {
  it("answers with the code's own statuses when its catalogue entry has them", () => {
    assert.deepEqual(refusalStatus(permanentError('SLUICE_INTERNAL', 'bug')), { http: 500, grpc: 13 });
    assert.deepEqual(refusalStatus(permanentError('SLUICE_BAD_DATA', 'bad')), { http: 400, grpc: 3 });
    assert.deepEqual(refusalStatus(retryableError('SLUICE_QUEUE_FULL', 'full')), { http: 429, grpc: 8 });
    assert.deepEqual(refusalStatus(retryableError('SLUICE_MEMORY_LIMITED', 'limited')), { http: 503, grpc: 8 });
  });

  it('answers a permanent refusal without statuses as bad data, a retryable one as 503 / RESOURCE_EXHAUSTED', () => {
    assert.deepEqual(refusalStatus(permanentError('SLUICE_EXPORT_REFUSED', 'no')), { http: 400, grpc: 3 });
    assert.deepEqual(refusalStatus(retryableError('SLUICE_EXPORT_REFUSED', 'later')), { http: 503, grpc: 8 });
  });
});

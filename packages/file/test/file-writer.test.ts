import assert from 'node:assert/strict';
import { afterWritten } from '../src/file-writer';

describe('file writer: a short writev goes on where it stopped', () => {
  const parts = [Buffer.from('abc'), Buffer.alloc(0), Buffer.from('de'), Buffer.from('fghi')];
  const whole = Buffer.concat(parts).toString();

  it('leaves exactly the bytes after any count written', () => {
    for (let count = 1; count < whole.length; count++) {
      assert.equal(Buffer.concat(afterWritten(parts, count)).toString(), whole.slice(count), `after ${count} bytes`);
    }
  });

  it('does not copy: what is left views the parts', () => {
    const [first] = afterWritten(parts, 4);
    assert.equal(first!.buffer, parts[2]!.buffer);
    assert.equal(first!.toString(), 'e');
  });
});

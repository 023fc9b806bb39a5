import assert from 'node:assert/strict';
import { isObject, readYaml, type Json } from './deploy-checks/repo';

/** The compose stack's traces: the demo's spans reach Tempo, and Grafana queries the same Tempo. */
describe('deploy: Tempo in the compose stack', () => {
  const services = (readYaml('docker-compose.yml') as Json).services as Record<string, Json>;
  const tempo = readYaml('deploy', 'tempo', 'tempo.yaml') as Json;

  it('runs Tempo from its config with local storage on a volume', () => {
    assert.match(String(services.tempo?.image), /^grafana\/tempo:\d+\.\d+\.\d+$/);
    assert.ok((services.tempo!.volumes as string[]).includes('./deploy/tempo/tempo.yaml:/etc/tempo/config.yaml:ro'));
    const trace = (tempo.storage as Json).trace as Json;
    assert.equal(trace.backend, 'local');
    assert.ok(
      (services.tempo!.volumes as string[]).some(
        (v) => v.startsWith('tempo-data:') && String((trace.local as Json).path).startsWith(v.split(':')[1]!),
      ),
    );
  });

  it('the demo sends spans to the OTLP/HTTP port Tempo receives on', () => {
    const receivers = ((tempo.distributor as Json).receivers as Json).otlp as Json;
    const http = (receivers.protocols as Json).http as Json;
    const port = String(http.endpoint).split(':').at(-1);
    const url = new URL(String((services.demo!.environment as Json).DEMO_TRACES_ENDPOINT));
    assert.equal(url.hostname, 'tempo');
    assert.equal(url.port, port);
    assert.equal(url.pathname, '/v1/traces');
  });

  it('Grafana queries Tempo on its HTTP port', () => {
    const url = String((services.grafana!.environment as Json).TEMPO_URL);
    const port = (tempo.server as Json).http_listen_port;
    assert.ok(isObject(tempo.server));
    assert.equal(url, `\${TEMPO_URL:-http://tempo:${String(port)}}`);
  });
});

import Fastify, { type FastifyInstance } from 'fastify';

/**
 * The baseline: Fastify 5 with no plugins, hooks or schemas, answering a client-shaped object of
 * about the same size as the admin API's client envelope. The ratio subject/baseline then
 * isolates what the real app adds (auth, validation, store, serialisation) from what any
 * Fastify route on this machine costs.
 */
export async function buildBareApp(): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.get<{ Params: { id: string } }>('/bare/:id', async (request) => ({
    success: true,
    data: {
      id: request.params.id,
      name: 'Bench Client',
      status: true,
      publishable_key: 'pk_0123456789abcdef0123456789abcdef',
      secret_key: 'sk_…abcd',
      domain: `${request.params.id}.bench.example.com`,
      email: 'ops@bench.example.com',
      phone: '+1-415-555-0198',
      website: 'https://bench.example.com',
      timezone: 'America/Los_Angeles',
      global_name: 'benchClient',
      company_id: 'cmp_7kH3nPqR',
      agency_id: 'agency_bench',
      api_metadata: { plan: 'enterprise', region: 'us-west' },
      ghl_location_id: 'ghl_location_bench',
      proxy_api_key: '…ab12',
      created_at: '2026-03-01T12:00:00.000Z',
      updated_at: '2026-03-01T12:00:00.000Z',
    },
  }));
  await app.ready();
  return app;
}

/**
 * Metrics in Prometheus text format at `/metrics`: the server's HTTP metrics and the process's
 * (prom-client), and the library's own OpenTelemetry instruments (data-key cache, key-service
 * latency, maintenance), collected through an OpenTelemetry MeterProvider this server registers.
 */
import { metrics as otel } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export interface ServerMetrics {
  /** One finished HTTP request. `route` is a template (`/v1/secrets/:path`), never a raw path. */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** The exposition text. */
  render(): Promise<string>;
  readonly contentType: string;
  close(): Promise<void>;
}

export function createMetrics(): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'agentvault_process_' });
  const labelNames = ['method', 'route', 'code'] as const;
  const requests = new Counter({ name: 'agentvault_http_requests_total', help: 'HTTP requests by route and status code', labelNames, registers: [registry] });
  const duration = new Histogram({
    name: 'agentvault_http_request_duration_seconds',
    help: 'HTTP request latency by route and status code',
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });

  // The library's instruments: this process's global provider, read on each scrape.
  const reader = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [reader] });
  const registered = otel.setGlobalMeterProvider(provider);
  const serializer = new PrometheusSerializer(undefined, false, undefined, true, true);

  return {
    contentType: registry.contentType,
    observeRequest(method, route, status, seconds) {
      const labels = { method, route, code: String(status) };
      requests.inc(labels);
      duration.observe(labels, seconds);
    },
    async render() {
      const own = await registry.metrics();
      if (!registered) return own;
      const { resourceMetrics } = await reader.collect();
      return `${own}\n${serializer.serialize(resourceMetrics)}`;
    },
    async close() {
      if (registered) {
        await provider.shutdown();
        otel.disable();
      }
    },
  };
}

const API_ROUTES: Array<[RegExp, string]> = [
  [/^\/secrets\/?$/, '/secrets'],
  [/^\/secrets\/[^/]+\/(versions|rotate|rollback|restore)$/, '/secrets/:path/$1'],
  [/^\/secrets\/[^/]+$/, '/secrets/:path'],
  [/^\/tokens\/?$/, '/tokens'],
  [/^\/tokens\/[^/]+$/, '/tokens/:id'],
  [/^\/approvals\/?$/, '/approvals'],
  [/^\/approvals\/[^/]+\/(approve|deny)$/, '/approvals/:id/$1'],
  [/^\/approvals\/[^/]+$/, '/approvals/:id'],
  [/^\/(audit|import|openapi\.json)$/, '/$1'],
];

/** The metric label of a request path: a route template, so label values stay few and name no secret. */
export function routeLabel(pathname: string): string {
  if (pathname === '/healthz' || pathname === '/readyz' || pathname === '/metrics') return pathname;
  if (pathname.startsWith('/console')) return '/console';
  if (!pathname.startsWith('/v1/')) return 'other';
  const rest = pathname.slice(3);
  for (const [pattern, template] of API_ROUTES) {
    const match = pattern.exec(rest);
    if (match) return `/v1${template.replace('$1', match[1] ?? '')}`;
  }
  return '/v1/other';
}

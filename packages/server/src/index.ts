export { openKeys, openStorage, type ModuleLoader, KEK_FILE, SQLITE_FILE } from './backends';
export { INITIAL_KEYS_FILE } from './bootstrap';
export { ConfigError, describeStorage, loadConfig, type ServerConfig } from './config';
export { readinessProbe, type Readiness } from './health';
export { createLogger, type ServerLogger } from './logger';
export { createMetrics, routeLabel, type ServerMetrics } from './metrics';
export { type RunningServer, startServer, type StartOptions } from './server';

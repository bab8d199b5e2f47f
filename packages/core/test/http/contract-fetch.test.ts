import { runHttpContract } from './contract';
import { startFetch } from './support/servers';

runHttpContract('fetch', startFetch);

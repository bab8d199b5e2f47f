import { runHttpContract } from './contract';
import { startNode } from './support/servers';

runHttpContract('node', startNode);

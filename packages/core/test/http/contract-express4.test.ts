import { runHttpContract } from './contract';
import { startExpress } from './support/servers';

runHttpContract('express 4', startExpress(4));

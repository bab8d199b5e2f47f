import { runHttpContract } from './contract';
import { startExpress } from './support/servers';

runHttpContract('express 5', startExpress(5));

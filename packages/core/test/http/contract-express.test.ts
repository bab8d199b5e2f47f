import { runHttpContract } from './contract';
import { startExpress } from './support/servers';

runHttpContract('express', startExpress);

import { runHttpContract } from './contract';
import { startKoa } from './support/servers';

runHttpContract('koa', startKoa);

import { runHttpContract } from './contract';
import { startKoa } from './support/servers';

runHttpContract('koa 2', startKoa(2));

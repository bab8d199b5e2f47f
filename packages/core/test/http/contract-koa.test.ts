import { runHttpContract } from './contract';
import { startKoa } from './support/servers';

runHttpContract('koa 3', startKoa(3));

import { runFamily } from './run-family.js';

runFamily('resource-request');

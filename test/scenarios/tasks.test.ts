import { runFamily } from './run-family.js';

runFamily('tasks');

import { runFamily } from './run-family.js';
runFamily('refresh-counter');

import { runFamily } from './run-family.js';

runFamily('future-range');

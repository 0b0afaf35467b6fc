import { runFamily } from './run-family.js';

// Calendar spam (the incoming tier) and participating=no-participation.
runFamily('incoming');

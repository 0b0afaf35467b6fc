import { runFamily } from './run-family.js';
runFamily('publish-add');

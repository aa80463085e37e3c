import { copyCommand } from './copy.js';

export default copyCommand('add');

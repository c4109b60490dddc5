import type { QueryDialect } from '../dialect.js';
import { duckdbFunnel } from './funnel.js';
import { duckdbReport } from './report.js';

export const duckdbDialect: QueryDialect = { report: duckdbReport, funnel: duckdbFunnel };

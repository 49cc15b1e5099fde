/**
 * `npm run bench -- <name> [args]`: runs bench/<name>.ts, prints its table, writes bench/results/<name>.json.
 * Like the command line, in production mode unless NODE_ENV says otherwise.
 */
import '../src/app/productionMode.js';
import { printTable, writeResult, type BenchResult } from './lib.js';

const name = process.argv[2];
if (!name || !/^[a-z][a-z0-9-]*$/.test(name)) {
  process.stderr.write(
    'usage: npm run bench -- <name>   (a file bench/<name>.ts, e.g. eventstore, ledger, train, data, artifacts)\n',
  );
  process.exit(2);
}
const module = (await import(`./${name}.js`)) as {
  default: (args: string[]) => Promise<BenchResult | BenchResult[]>;
};
const results = await module.default(process.argv.slice(3));
for (const result of Array.isArray(results) ? results : [results]) {
  printTable(result);
  process.stdout.write(`  written: ${writeResult(result)}\n`);
}

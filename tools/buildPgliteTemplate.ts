/**
 * `npm run build:pglite` (part of `npm install`'s `prepare`): writes dist/pglite-template, the migrated embedded
 * database a first `tuneledger start` copies instead of running PGlite's initdb (src/app/pgliteTemplate.ts).
 */
import { defaultPgliteTemplate, writePgliteTemplate } from '../src/app/pgliteTemplate.js';

const template = defaultPgliteTemplate();
await writePgliteTemplate(template);
process.stdout.write(`tuneledger: wrote the embedded database template to ${template.dataDir}\n`);

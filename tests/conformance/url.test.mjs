// The conformance kit against a backend already running somewhere: set SIYU_CONFORMANCE_URL to
// its base URL (demo login and the QA clock on; the program of `conformanceProgram()` in force,
// e.g. `node -e "import('./tests/conformance/kit.mjs').then(k => console.log(JSON.stringify(k.conformanceProgram())))"`).
// Without it, nothing runs. The kill -9 case needs a backend the kit starts (backends.test.mjs).
import { conformance } from './kit.mjs';

const url = process.env.SIYU_CONFORMANCE_URL?.replace(/\/+$/, '');
if (url) conformance(url, async () => ({ url }));

// Where the store's siyu-compatible backend is. For the demo server (`bash scripts/run.sh` in the
// siyu repository) add its address to the mini-program's request domains, or tick "do not check
// domains" in DevTools while developing.
module.exports = {
  baseUrl: 'http://127.0.0.1:8080/api',
  memberId: 'loyal',
};

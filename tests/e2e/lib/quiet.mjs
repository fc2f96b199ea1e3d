// The SDK builds ethers Interfaces from its bundled PoCo ABI, which has a few fragments with a
// Solidity enum type ethers cannot parse; ethers then console.log()s a multi-kilobyte
// "[Warning] Invalid Fragment" line per fragment, for every SDK instance. Harmless (the SDK never
// calls those functions) but it buries the test report, so those exact lines are dropped.
const original = console.log;
console.log = (...args) => {
  if (typeof args[0] === 'string' && args[0].startsWith('[Warning] Invalid Fragment')) return;
  original(...args);
};

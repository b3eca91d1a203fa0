import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

function sh(cmd) {
  try {
    return execFileSync('sh', ['-c', cmd], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

export function fdLimits() {
  const [soft, hard] = sh('ulimit -Sn; ulimit -Hn').split('\n');
  const num = (s) => (s === 'unlimited' ? Infinity : Number(s));
  return { soft: num(soft), hard: num(hard) };
}

export function machineInfo() {
  const cpus = os.cpus();
  let wsVersion = '';
  try {
    wsVersion = JSON.parse(readFileSync(new URL('../../node_modules/ws/package.json', import.meta.url), 'utf8')).version;
  } catch {}
  let oursVersion = '';
  try {
    oursVersion = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
  } catch {}
  return {
    cpuModel: cpus[0] ? cpus[0].model.trim() : 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    wsVersion,
    oursVersion,
    fdLimits: fdLimits(),
  };
}

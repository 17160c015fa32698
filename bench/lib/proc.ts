/** Reading another process's CPU time and memory from /proc (Linux), so a figure does not depend on how busy the machine is. */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** CPU time (user + system) the process has used so far, in ms (10 ms resolution). */
export function cpuMs(pid: number): number {
  const fields = statFields(pid);
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Resident memory in MiB. */
export function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}

/** Every process below `root`, with its command name. */
export function descendants(root: number): { pid: number; comm: string }[] {
  const children = new Map<number, { pid: number; comm: string }[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const pid = Number(entry);
      const ppid = Number(statFields(pid)[1]);
      const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      children.set(ppid, [...(children.get(ppid) ?? []), { pid, comm }]);
    } catch {
      // gone meanwhile
    }
  }
  const found: { pid: number; comm: string }[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      walk(child.pid);
    }
  };
  walk(root);
  return found;
}

/** The workerd processes `wrangler dev` started from this process (it runs more than one: the Worker's and its dev proxy's). */
export function workerdPids(): number[] {
  const found = descendants(process.pid).filter((p) => p.comm === "workerd");
  if (found.length === 0) throw new Error("no workerd below this process");
  return found.map((p) => p.pid);
}

/** CPU time used so far by all of `pids` together, in ms. */
export function totalCpuMs(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + cpuMs(pid), 0);
}

/** Whether `pid` has a file open under `dir` (the workerd that runs the Worker holds its Durable Objects' SQLite files). */
export function hasOpenFileUnder(pid: number, dir: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(dir);
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

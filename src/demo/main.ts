/**
 * `npm start`'s backend when no LLM provider is configured: starts the offline demo model, writes a
 * pi agent dir that points at it, then runs the normal backend server in this same process.
 */
import { resolve } from "node:path";
import { log } from "../shared/log";
import { writeAgentDir } from "./agent-dir";
import { DEMO_LABEL, startDemoModel } from "./demo-model";

const demo = await startDemoModel();
const agentDir = resolve(process.env.PI_DATA_DIR || ".data/backend", "..", "demo-agent");
const piArgs = writeAgentDir({ dir: agentDir, baseUrl: demo.baseUrl, provider: "evie-demo", model: "evie-demo" });
process.env.PI_CODING_AGENT_DIR = agentDir;
process.env.PI_OFFLINE = "1";
process.env.PI_ARGS = piArgs.join(" ");
log.info("demo.started", { model: DEMO_LABEL, url: demo.baseUrl, agentDir });
await import("../pi-server/main");

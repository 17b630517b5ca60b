export { PbxInputError, checkDirectory, defaultDirectory, formatPath, parseDirectory } from './directory.js';
export type { InputIssue } from './directory.js';
export { AGENT_RULES, DERIVED_RULES, checkScenarioCalls, confIdFor, isAgent, phoneId, planCalls, ruleFor } from './planner.js';
export type { AgentRule } from './planner.js';
export { CALL_KINDS, parseScenario, randomScenario } from './scenario.js';
export type { RandomScenarioOptions } from './scenario.js';

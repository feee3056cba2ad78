// Stand-ins for the host services (`ao:plugin/*`), for the SDK's unit tests
// under Node: settings, secrets and HTTP answers are set by each test.
export const state = { settings: {}, secrets: {}, requests: [], reply: null, logs: [] };

export const config = {
  getAll: () => JSON.stringify(state.settings),
  get: (key) => (key in state.settings ? JSON.stringify(state.settings[key]) : undefined),
};
export const secrets = {
  get(name) {
    if (!(name in state.secrets)) throw { tag: "denied", val: `secret ${name} is not granted` };
    return state.secrets[name];
  },
};
export const http = {
  fetch(request) {
    state.requests.push(request);
    if (typeof state.reply === "function") return state.reply(request);
    return state.reply;
  },
};
export const log = { log: (level, message) => state.logs.push([level, message]) };

// One call through a vendor's official Node.js client, for conformance/test_node_clients.py.
// Argument: a JSON object {client, endpoint, key, secret, action, version, params, method, signMethod}.
// Prints {"ok": <the client's result>} or {"error": {"code", "message"}}; exits 0 either way.
"use strict";

const RPCClient = require("@alicloud/pop-core");
const Cams = require("@alicloud/cams20200606").default;
const OpenApi = require("@alicloud/openapi-client");
const OpenApiUtil = require("@alicloud/openapi-util").default;
const { RuntimeOptions } = require("@alicloud/tea-util");
const tencentcloud = require("tencentcloud-sdk-nodejs");

// The generated clients' configuration: the key, hookd's endpoint over http, and the signature
// (ACS3 by default, `signatureAlgorithm: 'v2'` for the RPC signature).
function openApiConfig(c) {
  return new OpenApi.Config({
    accessKeyId: c.key,
    accessKeySecret: c.secret,
    endpoint: c.endpoint,
    protocol: "http",
    signatureAlgorithm: c.signatureAlgorithm,
  });
}

const clients = {
  // @alicloud/pop-core, the generic RPC client of Alibaba's samples: GET puts every parameter in the
  // query string, POST in a form body.
  async "pop-core"(c) {
    const pop = new RPCClient({
      endpoint: `http://${c.endpoint}`,
      apiVersion: c.version,
      accessKeyId: c.key,
      accessKeySecret: c.secret,
    });
    return pop.request(c.action, c.params, { method: c.method, timeout: 10000 });
  },
  // The generated CAMS client (ACS3-HMAC-SHA256 by default; `signatureAlgorithm: 'v2'` for the RPC
  // signature), calling UpdateAccountWebhook or UpdatePhoneWebhook by their method names.
  async cams(c) {
    const cams = new Cams(openApiConfig(c));
    const method = c.action[0].toLowerCase() + c.action.slice(1);
    const models = require("@alicloud/cams20200606");
    const request = new models[`${c.action}Request`](c.params);
    const response = await cams[method](request);
    return response.body;
  },
  // The generic OpenAPI client with the action's parameters split between the query string (`query`)
  // and a form body (`body`).
  async openapi(c) {
    const client = new OpenApi.default(openApiConfig(c));
    const params = new OpenApi.Params({
      action: c.action,
      version: c.version,
      protocol: "HTTP",
      pathname: "/",
      method: "POST",
      authType: "AK",
      style: "RPC",
      reqBodyType: "formData",
      bodyType: "json",
    });
    const request = new OpenApi.OpenApiRequest({
      query: OpenApiUtil.query(c.query || {}),
      body: c.body || {},
    });
    const response = await client.callApi(params, request, new RuntimeOptions({}));
    return response.body;
  },
  // tencentcloud-sdk-nodejs's ESS client: TC3-HMAC-SHA256 (POST JSON or GET query), or the parameter
  // signature with HmacSHA1/HmacSHA256.
  async tencent(c) {
    const client = new tencentcloud.ess.v20201111.Client({
      credential: { secretId: c.key, secretKey: c.secret },
      region: "ap-guangzhou",
      profile: {
        signMethod: c.signMethod || "TC3-HMAC-SHA256",
        httpProfile: { endpoint: c.endpoint, protocol: "http://", reqMethod: c.method || "POST", reqTimeout: 10 },
      },
    });
    return client[c.action](c.params);
  },
};

async function main() {
  const c = JSON.parse(process.argv[2]);
  try {
    const result = await clients[c.client](c);
    console.log(JSON.stringify({ ok: result === undefined ? null : result }));
  } catch (e) {
    const code = e.code || (e.data && e.data.Code) || e.name;
    const message = e.message || (e.data && e.data.Message) || String(e);
    console.log(JSON.stringify({ error: { code: String(code), message: String(message) } }));
  }
}

main();

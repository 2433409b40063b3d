// A real OpenID Connect provider for Okienko's tests: the npm package oidc-provider on a
// loopback port, with its own sign-in page (user name and password, checked), a consent
// page, PKCE required, a fresh RSA signing key per start and a "groups" claim.
//
//   node provider.mjs CONFIG.json     (tests/support/oidcserver.py writes CONFIG.json)
//
// CONFIG: {"port": N, "issuer": "http://127.0.0.1:N", "clients": [...oidc-provider client
// metadata...], "users": {"anna": {"password": "...", "claims": {"name": ..., "groups": [...]}}}}
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { URLSearchParams } from 'node:url';

import Provider from 'oidc-provider';

const read = () => JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const config = read();
// Read again at every sign-in: a test takes a user out of a group by rewriting the file.
const userOf = (id) => Object.hasOwn(read().users, id) ? read().users[id] : undefined;

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), use: 'sig', alg: 'RS256' };

const provider = new Provider(config.issuer, {
  clients: config.clients,
  jwks: { keys: [signingKey] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  pkce: { methods: ['S256'], required: () => true },
  features: { devInteractions: { enabled: false } },
  // The scope's claims go into the id token too, as Entra ID and Keycloak put groups there.
  conformIdTokenClaims: false,
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
    groups: ['groups'],
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    const user = userOf(id);
    if (!user) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, email_verified: true, ...userOf(id).claims };
      },
    };
  },
});

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head>
<body><main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => resolve(Object.fromEntries(new URLSearchParams(data))));
    req.on('error', reject);
  });
}

function send(res, status, html) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(html);
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params, session } = details;
  if (req.method === 'GET' && prompt.name === 'login') {
    return send(res, 200, page('Test provider: sign in', `
<p>Client: ${esc(params.client_id)}</p>
<form method="post" action="/interaction/${esc(uid)}">
<p><label for="login">User name</label> <input id="login" name="login" autocomplete="username"></p>
<p><label for="password">Password</label> <input id="password" name="password" type="password"></p>
<p><button type="submit" id="provider-sign-in">Sign in</button></p></form>`));
  }
  if (req.method === 'GET' && prompt.name === 'consent') {
    return send(res, 200, page('Test provider: allow access', `
<p>${esc(params.client_id)} asks for: ${esc(params.scope)}</p>
<form method="post" action="/interaction/${esc(uid)}"><input type="hidden" name="consent" value="yes">
<p><button type="submit" id="provider-allow">Allow</button></p></form>`));
  }
  const form = await readForm(req);
  if (prompt.name === 'login') {
    const user = userOf(form.login);
    if (!user || user.password !== form.password) {
      return send(res, 400, page('Test provider: sign in', `<p role="alert" id="provider-error">Wrong user name or password.</p>
<form method="post" action="/interaction/${esc(uid)}">
<p><label for="login">User name</label> <input id="login" name="login" value="${esc(form.login || '')}"></p>
<p><label for="password">Password</label> <input id="password" name="password" type="password"></p>
<p><button type="submit" id="provider-sign-in">Sign in</button></p></form>`));
    }
    return provider.interactionFinished(req, res, { login: { accountId: form.login } }, { mergeWithLastSubmission: false });
  }
  // consent: grant what the client asked for
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  const missing = prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  if (missing.missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
  }
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

const callback = provider.callback();
const server = http.createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((err) => send(res, 500, page('Error', esc(err.message))));
    return;
  }
  callback(req, res);
});
server.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`listening ${config.port}\n`);
});

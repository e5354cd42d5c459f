// The interop tier's node `soap` client: one Echo call, one JSON line on stdout.
//   node client.js '{"wsdl": URL, "security": "none"|"username"|"cert", ...}'
// The settings between "clients.md" markers are quoted verbatim by docs/clients.md (the tier checks it).
"use strict";
const fs = require("fs");
const soap = require("soap");

function security(cfg) {
  if (cfg.security === "username") {
    // clients.md: node-username begin
    return new soap.WSSecurity(cfg.user, cfg.password, {
      passwordType: "PasswordText", // WCF has no PasswordDigest
      hasTimeStamp: true, // wsu:Timestamp, checked against maxClockSkew
      hasTokenCreated: false, // wsu:Created in the token is ignored by WCF; keep the token plain
      hasNonce: false,
      mustUnderstand: true,
    });
    // clients.md: node-username end
  }
  if (cfg.security === "cert") {
    const key = fs.readFileSync(cfg.key);
    const cert = fs.readFileSync(cfg.cert);
    // clients.md: node-cert begin
    return new soap.WSSecurityCert(key, cert, "", {
      hasTimeStamp: true,
      signatureAlgorithm: "http://www.w3.org/2000/09/xmldsig#rsa-sha1", // Basic256
      digestAlgorithm: "http://www.w3.org/2000/09/xmldsig#sha1",
      signerOptions: { prefix: "ds", idMode: "wssecurity" }, // reference wsu:Id, which is all WCF looks at
      signatureTransformations: ["http://www.w3.org/2001/10/xml-exc-c14n#"], // WCF: exclusive c14n only
      mustUnderstand: true,
    });
    // clients.md: node-cert end
  }
  return null;
}

async function main() {
  const cfg = JSON.parse(process.argv[2]);
  let client;
  if (cfg.soap12) {
    // clients.md: node-wshttp begin
    // wsHttpBinding: SOAP 1.2 (application/soap+xml) and WS-Addressing 1.0 headers, which node soap leaves to you
    client = await soap.createClientAsync(cfg.wsdl, { forceSoap12Headers: true });
    const wsa = 'xmlns:a="http://www.w3.org/2005/08/addressing" soap:mustUnderstand="1"';
    client.addSoapHeader(`<a:Action ${wsa}>http://tempuri.org/IEchoService/Echo</a:Action>`);
    client.addSoapHeader(`<a:To ${wsa}>${cfg.wsdl.replace(/\?wsdl$/, "")}</a:To>`);
    // clients.md: node-wshttp end
  } else {
    client = await soap.createClientAsync(cfg.wsdl);
  }
  const sec = security(cfg);
  if (sec) client.setSecurity(sec);
  try {
    const [result] = await client.EchoAsync({ text: "hello from node" });
    console.log(JSON.stringify({ result: result.EchoResult }));
  } catch (err) {
    const fault = err.root && err.root.Envelope && err.root.Envelope.Body && err.root.Envelope.Body.Fault;
    if (!fault) {
      console.log(JSON.stringify({ error: String(err && err.message) }));
      return;
    }
    // clients.md: node-fault begin
    // err.root is the parsed fault envelope (SOAP 1.1 faultcode/faultstring/detail, SOAP 1.2 Code/Reason/Detail);
    // the ExceptionDetail's Message starts with the resource code
    const text = (v) => (v && typeof v === "object" ? v.$value : v);
    const code = fault.Code ? (fault.Code.Subcode || fault.Code).Value : text(fault.faultcode);
    const reason = fault.Reason ? text(fault.Reason.Text) : text(fault.faultstring);
    const detail = (fault.detail || fault.Detail || {}).ExceptionDetail;
    const resourceCode = err.response && err.response.headers["x-mockwcf-resource-code"];
    // clients.md: node-fault end
    console.log(
      JSON.stringify({
        fault: {
          code,
          reason,
          detailMessage: detail ? detail.Message : null,
          detailType: detail ? detail.Type : null,
          header: resourceCode,
        },
      }),
    );
  }
}

main().catch((e) => {
  console.log(JSON.stringify({ error: String(e && e.message) }));
});

// The interop tier's Apache WSS4J client (Debian's libwss4j-java 1.6): WSS4J's own handler secures an Echo
// request from a property map, the way CXF's WSS4JOutInterceptor does, and the JDK's HTTP client sends it.
//   java EchoClient URL none|username|x509 KEYID USER PASSWORD CLIENT.pfx
//   java EchoClient URL x509encrypt KEYID - - CLIENT.pfx TRUST.jks   (basicHttpBinding Message EncryptAndSign:
//       sign with the client key, encrypt Body and Signature for the service certificate (alias "service" in
//       TRUST.jks, referenced by KEYID), then decrypt and verify the reply with WSS4J's own engine)
//   java EchoClient URL x509encryptfirst KEYID - - CLIENT.pfx TRUST.jks   (the same with EncryptBeforeSign: WSS4J's
//       "Encrypt Signature" action order encrypts the Body, then signs the encrypted Body)
// Prints one line: "RESULT\t<echo>" or "FAULT\t<faultcode>\t<faultstring>\t<X-MockWcf-Resource-Code>\t<detail Message>".
// The settings between "clients.md" markers are quoted verbatim by docs/clients.md (the tier checks it).
import java.io.ByteArrayInputStream;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.apache.ws.security.WSConstants;
import org.apache.ws.security.WSPasswordCallback;
import org.apache.ws.security.handler.RequestData;
import org.apache.ws.security.handler.WSHandler;
import org.apache.ws.security.handler.WSHandlerConstants;
import org.apache.ws.security.util.WSSecurityUtil;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

public class EchoClient extends WSHandler {
    static final String SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/";
    static final String NS_DC = "http://schemas.datacontract.org/2004/07/System.ServiceModel";
    final Map<String, Object> props = new HashMap<>();

    public Object getOption(String key) { return props.get(key); }
    public Object getProperty(Object ctx, String key) { return props.get(key); }
    public void setProperty(Object ctx, String key, Object value) { props.put(key, value); }
    public String getPassword(Object ctx) { return (String) props.get("password"); }
    public void setPassword(Object ctx, String password) { props.put("password", password); }

    static Map<String, Object> settings(String mode, String keyId, String user) {
        Map<String, Object> out = new HashMap<>();
        if (mode.equals("username")) {
            // clients.md: wss4j-username begin
            out.put(WSHandlerConstants.ACTION, "UsernameToken Timestamp");
            out.put(WSHandlerConstants.USER, user);
            out.put(WSHandlerConstants.PASSWORD_TYPE, WSConstants.PW_TEXT);   // WCF has no PasswordDigest
            out.put(WSHandlerConstants.ADD_UT_ELEMENTS, "");                   // no Nonce, no Created
            out.put(WSHandlerConstants.TTL_TIMESTAMP, "300");
            // clients.md: wss4j-username end
        } else if (mode.startsWith("x509encrypt")) {
            boolean first = mode.equals("x509encryptfirst");   // EncryptBeforeSign: encrypt, then sign
            out.put(WSHandlerConstants.ACTION, first ? "Timestamp Encrypt Signature" : "Timestamp Signature Encrypt");
            out.put(WSHandlerConstants.SIGNATURE_USER, "client");
            out.put(WSHandlerConstants.SIG_KEY_ID, "DirectReference");
            out.put(WSHandlerConstants.SIGNATURE_PARTS,
                "{}{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd}Timestamp;"
              + "{}{http://schemas.xmlsoap.org/soap/envelope/}Body");
            out.put(WSHandlerConstants.SIG_ALGO, "http://www.w3.org/2000/09/xmldsig#rsa-sha1");
            out.put(WSHandlerConstants.SIG_DIGEST_ALGO, "http://www.w3.org/2000/09/xmldsig#sha1");
            out.put(WSHandlerConstants.ENCRYPTION_USER, "service");
            out.put(WSHandlerConstants.ENC_KEY_ID, keyId);
            out.put(WSHandlerConstants.ENC_SYM_ALGO, "http://www.w3.org/2001/04/xmlenc#aes256-cbc");      // Basic256
            out.put(WSHandlerConstants.ENC_KEY_TRANSPORT, "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p");
            out.put(WSHandlerConstants.ENCRYPTION_PARTS, first
              ? "{Content}{http://schemas.xmlsoap.org/soap/envelope/}Body"   // the signature stays clear
              : "{Content}{http://schemas.xmlsoap.org/soap/envelope/}Body;"
                + "{Element}{http://www.w3.org/2000/09/xmldsig#}Signature");   // SignBeforeEncryptAndEncryptSignature
            out.put(WSHandlerConstants.TTL_TIMESTAMP, "300");
        } else {
            // clients.md: wss4j-x509 begin
            out.put(WSHandlerConstants.ACTION, "UsernameToken Timestamp Signature");
            out.put(WSHandlerConstants.USER, user);                              // the UsernameToken
            out.put(WSHandlerConstants.SIGNATURE_USER, "client");                // the key's alias
            out.put(WSHandlerConstants.SIG_KEY_ID, keyId);                       // DirectReference: BST + wsse:Reference
            out.put(WSHandlerConstants.SIGNATURE_PARTS,
                "{}{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd}Timestamp;"
              + "{}{http://schemas.xmlsoap.org/soap/envelope/}Body;"
              + "{}{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd}UsernameToken");
            out.put(WSHandlerConstants.PASSWORD_TYPE, WSConstants.PW_TEXT);
            out.put(WSHandlerConstants.ADD_UT_ELEMENTS, "");
            out.put(WSHandlerConstants.SIG_ALGO, "http://www.w3.org/2000/09/xmldsig#rsa-sha1");   // Basic256
            out.put(WSHandlerConstants.SIG_DIGEST_ALGO, "http://www.w3.org/2000/09/xmldsig#sha1");
            out.put(WSHandlerConstants.TTL_TIMESTAMP, "300");
            // clients.md: wss4j-x509 end
        }
        return out;
    }

    // clients.md: wss4j-strict begin
    // WSS4J 1.6 prepends each element it adds, so the header reads BST, Signature, Timestamp, UsernameToken.
    // WCF's Strict layout wants the Timestamp first and every token before the Signature that uses it; the
    // signature covers the elements, not their places, so moving them keeps it valid.
    static void strictLayout(Document doc) {
        Element security = (Element) doc.getElementsByTagNameNS(WSConstants.WSSE_NS, "Security").item(0);
        Node signature = security.getElementsByTagNameNS(WSConstants.SIG_NS, "Signature").item(0);
        Node token = security.getElementsByTagNameNS(WSConstants.WSSE_NS, "UsernameToken").item(0);
        if (signature != null && token != null) security.insertBefore(token, signature);
        Node timestamp = security.getElementsByTagNameNS(WSConstants.WSU_NS, "Timestamp").item(0);
        if (timestamp != null) security.insertBefore(timestamp, security.getFirstChild());
    }
    // clients.md: wss4j-strict end

    static String clean(String s) { return s == null ? "" : s.replace("\t", " ").replace("\r", "").replace("\n", " | "); }

    static String text(Document doc, String ns, String local) {
        var nodes = ns == null ? doc.getElementsByTagName(local) : doc.getElementsByTagNameNS(ns, local);
        return nodes.getLength() == 0 ? "" : nodes.item(0).getTextContent();
    }

    static Properties cryptoProps;
    static CallbackHandler replyPasswords;

    static CallbackHandler passwordsFor(String password) {
        return callbacks -> {
            for (Callback c : callbacks) {
                WSPasswordCallback pc = (WSPasswordCallback) c;
                pc.setPassword(pc.getIdentifier().equals("client") ? "interop" : password);
            }
        };
    }

    public static void main(String[] args) throws Exception {
        String url = args[0], mode = args[1], keyId = args[2], user = args[3], password = args[4], pfx = args[5];
        org.apache.ws.security.WSSConfig.init();
        var dbf = DocumentBuilderFactory.newInstance();
        dbf.setNamespaceAware(true);
        String envelope = "<s:Envelope xmlns:s=\"" + SOAP11 + "\"><s:Header/><s:Body>"
            + "<Echo xmlns=\"http://tempuri.org/\"><text>hello from wss4j</text></Echo></s:Body></s:Envelope>";
        Document doc = dbf.newDocumentBuilder().parse(new ByteArrayInputStream(envelope.getBytes(StandardCharsets.UTF_8)));
        if (!mode.equals("none")) {
            EchoClient handler = new EchoClient();
            handler.props.putAll(settings(mode, keyId, user));
            Properties crypto = new Properties();
            crypto.put("org.apache.ws.security.crypto.provider", "org.apache.ws.security.components.crypto.Merlin");
            crypto.put("org.apache.ws.security.crypto.merlin.keystore.type", "pkcs12");
            crypto.put("org.apache.ws.security.crypto.merlin.keystore.password", "interop");
            crypto.put("org.apache.ws.security.crypto.merlin.keystore.file", pfx);
            if (args.length > 6) {
                crypto.put("org.apache.ws.security.crypto.merlin.truststore.type", "jks");
                crypto.put("org.apache.ws.security.crypto.merlin.truststore.password", "interop");
                crypto.put("org.apache.ws.security.crypto.merlin.truststore.file", args[6]);
            }
            handler.props.put("cryptoProperties", crypto);
            handler.props.put(WSHandlerConstants.SIG_PROP_REF_ID, "cryptoProperties");
            handler.props.put(WSHandlerConstants.ENC_PROP_REF_ID, "cryptoProperties");
            cryptoProps = crypto;
            replyPasswords = passwordsFor(password);
            CallbackHandler passwords = passwordsFor(password);
            handler.props.put(WSHandlerConstants.PW_CALLBACK_REF, passwords);
            RequestData reqData = new RequestData();
            reqData.setMsgContext(handler.props);
            reqData.setUsername(user);   // what CXF's WSS4JOutInterceptor takes from WSHandlerConstants.USER
            List<Integer> actions = new ArrayList<>();
            int doAction = WSSecurityUtil.decodeAction((String) handler.props.get(WSHandlerConstants.ACTION), actions);
            handler.doSenderAction(doAction, doc, reqData, actions, true);
            strictLayout(doc);
        }
        StringWriter sw = new StringWriter();
        TransformerFactory.newInstance().newTransformer().transform(new DOMSource(doc), new StreamResult(sw));
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
            .header("Content-Type", "text/xml; charset=utf-8")
            .header("SOAPAction", "\"http://tempuri.org/IEchoService/Echo\"")
            .POST(HttpRequest.BodyPublishers.ofString(sw.toString())).build();
        HttpResponse<byte[]> resp = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        Document reply = dbf.newDocumentBuilder().parse(new ByteArrayInputStream(resp.body()));
        if (reply.getElementsByTagNameNS(SOAP11, "Fault").getLength() > 0) {
            // the ExceptionDetail's own Message is the last Message child of ExceptionDetail (after InnerException)
            String detail = "";
            var eds = reply.getElementsByTagNameNS(NS_DC, "ExceptionDetail");
            if (eds.getLength() > 0) {
                for (Node n = eds.item(0).getFirstChild(); n != null; n = n.getNextSibling())
                    if (n instanceof Element && "Message".equals(n.getLocalName())) detail = n.getTextContent();
            }
            System.out.println("FAULT\t" + text(reply, null, "faultcode") + "\t" + clean(text(reply, null, "faultstring")) + "\t"
                + resp.headers().firstValue("X-MockWcf-Resource-Code").orElse("") + "\t" + clean(detail));
            System.exit(1);
        }
        if (mode.startsWith("x509encrypt")) {
            // the reply is signed by the service and encrypted for the client certificate: WSS4J opens it
            var replyCrypto = org.apache.ws.security.components.crypto.CryptoFactory.getInstance(cryptoProps);
            var engine = new org.apache.ws.security.WSSecurityEngine();
            if (mode.equals("x509encryptfirst")) {
                // WCF writes the EncryptedData's reference to its EncryptedKey without a TokenType unless the
                // binding is a BasicSecurityProfile version; WSS4J's BSP enforcer refuses that, so a CXF client
                // of a WCF EncryptBeforeSign service turns BSP compliance off (isBSPCompliant=false)
                var config = org.apache.ws.security.WSSConfig.getNewInstance();
                config.setWsiBSPCompliant(false);
                engine.setWssConfig(config);
            }
            engine.processSecurityHeader(reply, null, replyPasswords, replyCrypto, replyCrypto);
        }
        System.out.println("RESULT\t" + text(reply, "http://tempuri.org/", "EchoResult"));
    }
}

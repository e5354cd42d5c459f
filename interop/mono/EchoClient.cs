// The interop tier's Mono client: Mono's own System.ServiceModel (a WCF implementation) calling Echo once
// through a custom binding, printing one line the tier parses. Settings are docs/clients.md's "Mono" section.
//   mono EchoClient.exe URL usernameovertransport USER PASSWORD   (Mono does not implement it: see docs/clients.md)
//   mono EchoClient.exe URL header USER PASSWORD    (no security element; the UsernameToken as a message header)
//   mono EchoClient.exe URL plain                   (no security at all)
//   header12 / plain12: the same on SOAP 1.2 + WS-Addressing 1.0 (wsHttpBinding)
//   mono EchoClient.exe URL mutual CLIENT.pfx PFXPASSWORD SERVICE.pem
//   mono EchoClient.exe URL usernameforcertificate USER PASSWORD SERVICE.pem   (wsHttpBinding Message UserName)
//   mono EchoClient.exe URL usernameforcertificatesession USER PASSWORD SERVICE.pem   (the same with
//       establishSecurityContext: CreateSecureConversationBindingElement(bootstrap, true); Mono cannot build it)
//   mono EchoClient.exe URL secure KIND SUITE SERVICE.pem CLIENT.pfx PFXPASSWORD USER PASSWORD
//       KIND: mutual11 (CreateMutualCertificateBindingElement(), WSS 1.1: symmetric), mutual10 (the same with
//       WSS 1.0: asymmetric, SOAP 1.1), usernameforcertificate, anonymousforcertificate, wshttpcertificate and
//       wshttpusername (WSHttpBinding Message without negotiation or a session); SUITE: a SecurityAlgorithmSuite
//       property name (Basic256, Basic256Sha256, Basic128). The contract is EncryptAndSign.
// Output: "RESULT\t<echo>" | "FAULT\t<exception type>\t<code>\t<subcode ns>\t<subcode>\t<reason>\t<detail Message>"
//         | "ERROR\t<exception type>\t<message>"   (tabs and newlines inside fields become spaces, except
//         the detail Message, whose newline becomes " | ")
using System;
using System.Security.Cryptography.X509Certificates;
using System.ServiceModel;
using System.ServiceModel.Channels;
using System.ServiceModel.Description;
using System.ServiceModel.Security;
using System.Text;
using System.Net.Security;

[ServiceContract(Namespace = "http://tempuri.org/", ProtectionLevel = ProtectionLevel.Sign)]  // the scenarios are Sign-only
public interface IEchoService
{
    [OperationContract(ProtectionLevel = ProtectionLevel.Sign)]
    string Echo(string text);
}

// wsHttpBinding Message security encrypts by default: the same operation at EncryptAndSign
[ServiceContract(Name = "IEchoService", Namespace = "http://tempuri.org/", ProtectionLevel = ProtectionLevel.EncryptAndSign)]
public interface IEchoServiceEncrypted
{
    [OperationContract]
    string Echo(string text);
}

public static class EchoClient
{
    static string Clean(string s) { return s == null ? "" : s.Replace("\t", " ").Replace("\r", "").Replace("\n", " | "); }

    public static int Main(string[] args)
    {
        string url = args[0], mode = args[1];
        if (mode == "secure")
            return Secure(url, args[2], args[3], args[4], args[5], args[6], args[7], args[8]);
        if (mode == "usernameforcertificate" || mode == "usernameforcertificatesession")
            return UserNameForCertificate(url, args[2], args[3], args[4], mode.EndsWith("session"));
        // a "12" suffix (header12, plain12) speaks wsHttpBinding's SOAP 1.2 with WS-Addressing 1.0
        var version = mode.EndsWith("12") ? MessageVersion.Soap12WSAddressing10 : MessageVersion.Soap11;
        mode = mode.EndsWith("12") ? mode.Substring(0, mode.Length - 2) : mode;
        SecurityBindingElement security = null;
        if (mode == "usernameovertransport")
        {
            // basicHttpBinding TransportWithMessageCredential/UserName, spelled as WCF's custom binding
            var t = SecurityBindingElement.CreateUserNameOverTransportBindingElement();
            t.IncludeTimestamp = true;
            security = t;
        }
        else if (mode == "mutual")
        {
            // clients.md: mono-mutual-binding begin
            // seed 001's binding: MutualCertificate, WSS 1.0, Strict, SOAP 1.1
            var m = SecurityBindingElement.CreateMutualCertificateBindingElement(
                MessageSecurityVersion.WSSecurity10WSTrustFebruary2005WSSecureConversationFebruary2005WSSecurityPolicy11BasicSecurityProfile10);
            m.IncludeTimestamp = true;
            m.SecurityHeaderLayout = SecurityHeaderLayout.Strict;
            // clients.md: mono-mutual-binding end
            security = m;
        }
        var binding = new CustomBinding();
        if (security != null)
            binding.Elements.Add(security);
        binding.Elements.Add(new TextMessageEncodingBindingElement(version, Encoding.UTF8));
        binding.Elements.Add(new HttpTransportBindingElement());
        binding.SendTimeout = TimeSpan.FromSeconds(20);
        EndpointAddress address;
        var factory = (ChannelFactory<IEchoService>)null;
        if (mode != "mutual")
        {
            address = new EndpointAddress(url);
            factory = new ChannelFactory<IEchoService>(binding, address);
            if (mode == "usernameovertransport")
            {
                factory.Credentials.UserName.UserName = args[2];
                factory.Credentials.UserName.Password = args[3];
            }
        }
        else
        {
            // clients.md: mono-mutual-credentials begin
            var service = new X509Certificate2(args[4]);
            address = new EndpointAddress(new Uri(url), EndpointIdentity.CreateDnsIdentity("localhost"));
            factory = new ChannelFactory<IEchoService>(binding, address);
            factory.Credentials.ClientCertificate.Certificate = new X509Certificate2(args[2], args[3]);
            factory.Credentials.ServiceCertificate.DefaultCertificate = service;
            factory.Credentials.ServiceCertificate.Authentication.CertificateValidationMode = X509CertificateValidationMode.None;
            // clients.md: mono-mutual-credentials end
        }
        return Invoke(() =>
        {
            var channel = factory.CreateChannel();
            using (new OperationContextScope((IContextChannel)channel))
            {
                // clients.md: mono-username-header begin
                if (mode == "header")
                    OperationContext.Current.OutgoingMessageHeaders.Add(UsernameHeader(args[2], args[3]));
                // clients.md: mono-username-header end
                return channel.Echo("hello from mono");
            }
        });
    }

    // One call, one line: RESULT, FAULT (the code and the ExceptionDetail's Message) or ERROR
    static int Invoke(Func<string> echo)
    {
        try
        {
            Console.WriteLine("RESULT\t" + Clean(echo()));
            return 0;
        }
        // clients.md: mono-fault begin
        catch (FaultException<ExceptionDetail> f)
        {
            Report(f, f.Detail.Message);
        }
        // clients.md: mono-fault end
        catch (FaultException f)
        {
            Report(f, "");
        }
        catch (Exception e)
        {
            // .NET wraps an unsecured security fault in MessageSecurityException(FaultException)
            var inner = e.InnerException as FaultException;
            if (inner != null)
            {
                var withDetail = inner as FaultException<ExceptionDetail>;
                Report(inner, withDetail == null ? "" : withDetail.Detail.Message, e.GetType().FullName + "/");
            }
            else
                Console.WriteLine("ERROR\t" + e.GetType().FullName + "\t" + Clean(e.Message));
        }
        return 1;
    }

    // wsHttpBinding Message/UserName without negotiation or a session, as WCF's factory builds it: the symmetric
    // binding (EncryptedKey for the service certificate, derived keys, encrypted UsernameToken, Body and signature)
    // (session: wrapped by CreateSecureConversationBindingElement, as establishSecurityContext=true does)
    static int UserNameForCertificate(string url, string user, string password, string servicePem, bool session)
    {
        var version = MessageSecurityVersion.WSSecurity11WSTrustFebruary2005WSSecureConversationFebruary2005WSSecurityPolicy11BasicSecurityProfile10;
        SecurityBindingElement sbe = SecurityBindingElement.CreateUserNameForCertificateBindingElement();
        sbe.MessageSecurityVersion = version;
        if (session)
            sbe = SecurityBindingElement.CreateSecureConversationBindingElement(sbe, true);
        sbe.IncludeTimestamp = true;
        sbe.MessageSecurityVersion = version;
        var binding = new CustomBinding(sbe, new TextMessageEncodingBindingElement(MessageVersion.Soap12WSAddressing10, Encoding.UTF8), new HttpTransportBindingElement());
        binding.SendTimeout = TimeSpan.FromSeconds(20);
        var address = new EndpointAddress(new Uri(url), EndpointIdentity.CreateDnsIdentity("localhost"));
        var factory = new ChannelFactory<IEchoServiceEncrypted>(binding, address);
        factory.Credentials.UserName.UserName = user;
        factory.Credentials.UserName.Password = password;
        factory.Credentials.ServiceCertificate.DefaultCertificate = new X509Certificate2(servicePem);
        factory.Credentials.ServiceCertificate.Authentication.CertificateValidationMode = X509CertificateValidationMode.None;
        return Invoke(() => factory.CreateChannel().Echo("hello from mono"));
    }

    // The message-security bindings Mono builds, each under one algorithm suite set on Mono's own binding
    static int Secure(string url, string kind, string suiteName, string servicePem, string pfx, string pfxPassword,
        string user, string password)
    {
        var suite = (SecurityAlgorithmSuite)typeof(SecurityAlgorithmSuite).GetProperty(suiteName).GetValue(null, null);
        Binding binding;
        if (kind.StartsWith("wshttp"))
        {
            var ws = new WSHttpBinding(SecurityMode.Message);
            ws.Security.Message.ClientCredentialType = kind == "wshttpcertificate" ? MessageCredentialType.Certificate : MessageCredentialType.UserName;
            ws.Security.Message.NegotiateServiceCredential = false;
            ws.Security.Message.EstablishSecurityContext = false;
            ws.Security.Message.AlgorithmSuite = suite;
            binding = ws;
        }
        else
        {
            SecurityBindingElement sbe;
            var version = MessageVersion.Soap12WSAddressing10;
            if (kind == "mutual11")
                sbe = SecurityBindingElement.CreateMutualCertificateBindingElement();
            else if (kind == "mutual10")
            {
                // clients.md: mono-wss10-mutual begin
                // WSS 1.0 MutualCertificate (asymmetric), SOAP 1.1; with suite = SecurityAlgorithmSuite.Basic256Sha256
                // (set below) Mono's RSA-SHA256 signature is the one the suite accepts
                sbe = SecurityBindingElement.CreateMutualCertificateBindingElement(
                    MessageSecurityVersion.WSSecurity10WSTrustFebruary2005WSSecureConversationFebruary2005WSSecurityPolicy11BasicSecurityProfile10);
                version = MessageVersion.Soap11;
                // clients.md: mono-wss10-mutual end
            }
            else if (kind == "usernameforcertificate")
                sbe = SecurityBindingElement.CreateUserNameForCertificateBindingElement();
            else if (kind == "anonymousforcertificate")
                sbe = SecurityBindingElement.CreateAnonymousForCertificateBindingElement();
            else
                throw new ArgumentException("unknown binding " + kind);
            // clients.md: mono-suite begin
            sbe.IncludeTimestamp = true;
            sbe.DefaultAlgorithmSuite = suite;  // WSHttpBinding ignores Security.Message.AlgorithmSuite: use this
            // clients.md: mono-suite end
            binding = new CustomBinding(sbe, new TextMessageEncodingBindingElement(version, Encoding.UTF8), new HttpTransportBindingElement());
        }
        binding.SendTimeout = TimeSpan.FromSeconds(20);
        var address = new EndpointAddress(new Uri(url), EndpointIdentity.CreateDnsIdentity("localhost"));
        var factory = new ChannelFactory<IEchoServiceEncrypted>(binding, address);
        factory.Credentials.ClientCertificate.Certificate = new X509Certificate2(pfx, pfxPassword);
        factory.Credentials.UserName.UserName = user;
        factory.Credentials.UserName.Password = password;
        factory.Credentials.ServiceCertificate.DefaultCertificate = new X509Certificate2(servicePem);
        factory.Credentials.ServiceCertificate.Authentication.CertificateValidationMode = X509CertificateValidationMode.None;
        return Invoke(() => factory.CreateChannel().Echo("hello from mono"));
    }

    const string Wsse = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";

    // wsse:Security with a PasswordText UsernameToken, mustUnderstand, as WCF's UserNameOverTransport writes it
    static MessageHeader UsernameHeader(string user, string password)
    {
        var doc = new System.Xml.XmlDocument();
        var token = doc.CreateElement("o", "UsernameToken", Wsse);
        var name = doc.CreateElement("o", "Username", Wsse);
        name.InnerText = user;
        var pass = doc.CreateElement("o", "Password", Wsse);
        pass.SetAttribute("Type", "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText");
        pass.InnerText = password;
        token.AppendChild(name);
        token.AppendChild(pass);
        return MessageHeader.CreateHeader("Security", Wsse, token, true);
    }

    static void Report(FaultException f, string detailMessage, string outer = "")
    {
        var code = f.Code;
        var sub = code.SubCode;
        Console.WriteLine("FAULT\t" + outer + f.GetType().ToString() + "\t" + code.Name + "\t"
            + (sub == null ? code.Namespace : sub.Namespace) + "\t" + (sub == null ? code.Name : sub.Name) + "\t"
            + Clean(f.Reason.ToString()) + "\t" + Clean(detailMessage));
    }
}

// Prints P_SHA1 vectors computed by Apache WSS4J (Debian libwss4j-java), a second implementation that
// tests/test_trust.py checks mockwcf's P_SHA1 against. Regenerate with `make vectors`.
import org.apache.ws.security.conversation.dkalgo.P_SHA1;

public class PSha1Vectors {
    static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) s.append(String.format("%02x", x & 0xff));
        return s.toString();
    }

    static byte[] pattern(int n, int mul, int add) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) ((i * mul + add) & 0xff);
        return b;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] r = new byte[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    static void row(String name, byte[] secret, byte[] seed, int offset, int length, boolean last) throws Exception {
        byte[] key = new P_SHA1().createKey(secret, seed, offset, length);
        System.out.printf("  {\"name\": \"%s\", \"secret\": \"%s\", \"seed\": \"%s\", \"offset\": %d, \"length\": %d, \"key\": \"%s\"}%s%n",
            name, hex(secret), hex(seed), offset, length, hex(key), last ? "" : ",");
    }

    public static void main(String[] args) throws Exception {
        byte[] label = "WS-SecureConversationWS-SecureConversation".getBytes("US-ASCII");
        System.out.println("[");
        // CombinedEntropy: key = P_SHA1(client entropy, server entropy), 256 bits (ComputeCombinedKey)
        row("combined-entropy-256", pattern(32, 7, 3), pattern(32, 13, 5), 0, 32, false);
        row("combined-entropy-192", pattern(24, 11, 1), pattern(24, 5, 9), 0, 24, false);
        // Derived keys: seed = label || nonce; signature key 24 bytes, encryption key 32 bytes, generation 2
        row("dk-signature-24", pattern(32, 7, 3), concat(label, pattern(16, 3, 1)), 0, 24, false);
        row("dk-encryption-32", pattern(32, 7, 3), concat(label, pattern(16, 17, 2)), 0, 32, false);
        row("dk-generation-2", pattern(32, 7, 3), concat(label, pattern(16, 3, 1)), 64, 32, false);
        // several HMAC blocks (javax.crypto refuses an empty secret, so that case is not here)
        row("long-100", pattern(20, 1, 0), pattern(40, 9, 4), 0, 100, true);
        System.out.println("]");
    }
}

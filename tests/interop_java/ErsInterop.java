// Interop driver for tests/timestamp/test_ers_interop.py: Bouncy Castle's RFC 4998 code
// (org.bouncycastle.tsp.ers) on one side, glyphserpack's Evidence Records on the other.
//
//   java ErsInterop validate ROOT.pem RECORD.ers DATA [RECORD.ers DATA...]
//        -> one line per pair, "VALID RECORD" or "INVALID RECORD: why"; exit 0 iff all valid
//   java ErsInterop generate TSA_URL OUT_DIR FILE...    -> OUT_DIR/<file name>.ers per FILE
//
// Compiled at test time (javac) against the Debian jars bcprov, bcpkix, bcutil.
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.Security;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.SignerInformationVerifier;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.bouncycastle.operator.DigestCalculator;
import org.bouncycastle.operator.DigestCalculatorProvider;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.tsp.TSPAlgorithms;
import org.bouncycastle.tsp.TimeStampRequest;
import org.bouncycastle.tsp.TimeStampRequestGenerator;
import org.bouncycastle.tsp.TimeStampResponse;
import org.bouncycastle.tsp.ers.ERSArchiveTimeStamp;
import org.bouncycastle.tsp.ers.ERSArchiveTimeStampGenerator;
import org.bouncycastle.tsp.ers.ERSByteData;
import org.bouncycastle.tsp.ers.ERSEvidenceRecord;
import org.bouncycastle.tsp.ers.ERSEvidenceRecordGenerator;

public class ErsInterop {
    public static void main(String[] args) throws Exception {
        Security.addProvider(new BouncyCastleProvider());
        if (args.length >= 4 && args.length % 2 == 0 && args[0].equals("validate")) {
            int status = 0;
            for (int i = 2; i < args.length; i += 2) {
                status |= validate(Paths.get(args[i]), Paths.get(args[i + 1]), Paths.get(args[1]));
            }
            System.exit(status);
        } else if (args.length >= 4 && args[0].equals("generate")) {
            List<Path> files = new ArrayList<>();
            for (int i = 3; i < args.length; i++) {
                files.add(Paths.get(args[i]));
            }
            generate(args[1], Paths.get(args[2]), files);
            System.exit(0);
        }
        System.err.println("usage: validate ROOT.pem RECORD DATA [RECORD DATA...] | generate URL OUT_DIR FILE...");
        System.exit(2);
    }

    static DigestCalculatorProvider digests() throws Exception {
        return new JcaDigestCalculatorProviderBuilder().setProvider("BC").build();
    }

    static int validate(Path record, Path data, Path rootPem) throws Exception {
        X509CertificateHolder root;
        try (PEMParser parser = new PEMParser(new StringReader(Files.readString(rootPem)))) {
            root = (X509CertificateHolder) parser.readObject();
        }
        try {
            ERSEvidenceRecord er = new ERSEvidenceRecord(Files.readAllBytes(record), digests());
            er.validatePresent(new ERSByteData(Files.readAllBytes(data)), new Date());
            X509CertificateHolder signer = er.getSigningCertificate();
            if (signer == null) {
                throw new IllegalStateException("no TSA signing certificate in the time-stamp");
            }
            ContentVerifierProvider byRoot = new JcaContentVerifierProviderBuilder().setProvider("BC").build(root);
            if (!signer.isSignatureValid(byRoot)) {
                throw new IllegalStateException("TSA certificate not issued by the given root");
            }
            SignerInformationVerifier verifier = new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(signer);
            er.validate(verifier);
            System.out.println("VALID " + record);
            return 0;
        } catch (Exception e) {
            System.out.println("INVALID " + record + ": " + e);
            return 1;
        }
    }

    /**
     * SHA-256 whose AlgorithmIdentifier carries NULL parameters, as glyphserpack's TSA writes
     * the imprint algorithm; BC 1.72 compares the two identifiers including parameters, and its
     * own calculator (absent parameters) then refuses the token as "imprint for wrong algorithm".
     */
    static final class Sha256Calculator implements DigestCalculator {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();

        public AlgorithmIdentifier getAlgorithmIdentifier() {
            return new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256, DERNull.INSTANCE);
        }

        public OutputStream getOutputStream() {
            return buf;
        }

        public byte[] getDigest() {
            try {
                byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(buf.toByteArray());
                buf.reset();
                return d;
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    static void generate(String url, Path outDir, List<Path> files) throws Exception {
        DigestCalculator sha256 = new Sha256Calculator();
        ERSArchiveTimeStampGenerator gen = new ERSArchiveTimeStampGenerator(sha256);
        for (Path f : files) {
            gen.addData(new ERSByteData(Files.readAllBytes(f)));
        }
        TimeStampRequestGenerator reqGen = new TimeStampRequestGenerator();
        reqGen.setCertReq(true);
        TimeStampRequest req = gen.generateTimeStampRequest(reqGen);
        HttpURLConnection conn = (HttpURLConnection) new URL(url).openConnection();
        conn.setDoOutput(true);
        conn.setRequestMethod("POST");
        conn.setRequestProperty("Content-Type", "application/timestamp-query");
        try (OutputStream out = conn.getOutputStream()) {
            out.write(req.getEncoded());
        }
        byte[] reply;
        try (InputStream in = conn.getInputStream()) {
            reply = in.readAllBytes();
        }
        TimeStampResponse resp = new TimeStampResponse(reply);
        resp.validate(req);
        List<ERSArchiveTimeStamp> stamps = gen.generateArchiveTimeStamps(resp);
        List<ERSEvidenceRecord> records = new ERSEvidenceRecordGenerator(digests()).generate(stamps);
        // One record per data object, in BC's (hash) order: name each after the file it contains.
        Date now = new Date(System.currentTimeMillis() + 60_000);
        for (ERSEvidenceRecord er : records) {
            for (Path f : files) {
                if (er.isContaining(new ERSByteData(Files.readAllBytes(f)), now)) {
                    Files.write(outDir.resolve(f.getFileName().toString() + ".ers"), er.getEncoded());
                }
            }
        }
    }
}

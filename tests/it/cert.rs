//! `amtready cert` and `scan --provisioning-cert`, table-driven, on a test PKI
//! generated here with rcgen: a chain that passes, and one chain per failure
//! (root hash absent, disabled, SHA-256 only on pre-6.0 firmware, no root in
//! the chain, leaf usage, domain, validity, CA key over 2048 bits), from PEM
//! and from a password-protected PFX.

use std::io::Write;
use std::process::Output;

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, PublicKeyData, SignatureAlgorithm, SigningKey, PKCS_RSA_SHA256,
};
use ring::digest::{digest, SHA1_FOR_LEGACY_USE_ONLY, SHA256};
use serde_json::{json, Value};

fn sha1(der: &[u8]) -> Vec<u8> {
    digest(&SHA1_FOR_LEGACY_USE_ONLY, der).as_ref().to_vec()
}

fn sha256(der: &[u8]) -> Vec<u8> {
    digest(&SHA256, der).as_ref().to_vec()
}

const PFX_PASSWORD_VAR: &str = "AMTREADY_CERT_TEST_PFX_PASSWORD";
const AMT_OID: [u64; 8] = [2, 16, 840, 1, 113741, 1, 2, 3];

fn amt_oid() -> Vec<u64> {
    AMT_OID.to_vec()
}

/// A CA key that only claims to be 4096-bit RSA: its "signatures" are zeros,
/// which is enough here because the checks read key sizes, not signatures.
struct BigRsa {
    public: Vec<u8>,
}

impl BigRsa {
    fn new() -> BigRsa {
        // RSAPublicKey ::= SEQUENCE { modulus INTEGER (4096 bits), publicExponent 65537 }
        let mut modulus = vec![0x00u8];
        modulus.extend(std::iter::repeat_n(0xC3u8, 512));
        let mut int = vec![0x02, 0x82, 0x02, 0x01];
        int.extend(modulus);
        int.extend([0x02, 0x03, 0x01, 0x00, 0x01]);
        let len = int.len();
        let mut public = vec![0x30, 0x82, (len >> 8) as u8, len as u8];
        public.extend(int);
        BigRsa { public }
    }
}

impl PublicKeyData for BigRsa {
    fn der_bytes(&self) -> &[u8] {
        &self.public
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &PKCS_RSA_SHA256
    }
}

impl SigningKey for BigRsa {
    fn sign(&self, _msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        Ok(vec![0; 512])
    }
}

struct Leaf {
    eku: Vec<ExtendedKeyUsagePurpose>,
    ou: Option<&'static str>,
    name: &'static str,
    expired: bool,
}

impl Default for Leaf {
    fn default() -> Self {
        Leaf {
            eku: vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::Other(amt_oid()),
            ],
            ou: None,
            name: "provisionserver.corp.example.com",
            expired: false,
        }
    }
}

struct Pki {
    root_der: Vec<u8>,
    /// PEM of leaf, intermediate, root.
    chain_pem: String,
    leaf_der: Vec<u8>,
    leaf_key_der: Vec<u8>,
    inter_der: Vec<u8>,
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(2090, 1, 1);
    params
}

/// Root → intermediate → leaf. `big_root` gives the root a 4096-bit key.
fn pki(leaf: Leaf, big_root: bool) -> Pki {
    if big_root {
        pki_with(leaf, BigRsa::new())
    } else {
        pki_with(leaf, KeyPair::generate().unwrap())
    }
}

fn pki_with(leaf: Leaf, root_key: impl SigningKey) -> Pki {
    let root_params = ca_params("amtready test root");
    let root = root_params.self_signed(&root_key).unwrap();
    let inter_key = KeyPair::generate().unwrap();
    let inter_params = ca_params("amtready test issuing CA");
    let inter = inter_params
        .signed_by(&inter_key, &Issuer::new(root_params, root_key))
        .unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec![leaf.name.to_string()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, leaf.name);
    if let Some(ou) = leaf.ou {
        params
            .distinguished_name
            .push(DnType::OrganizationalUnitName, ou);
    }
    params.extended_key_usages = leaf.eku;
    if leaf.expired {
        params.not_before = date_time_ymd(2019, 1, 1);
        params.not_after = date_time_ymd(2020, 1, 1);
    } else {
        params.not_before = date_time_ymd(2020, 1, 1);
        params.not_after = date_time_ymd(2090, 1, 1);
    }
    let leaf_cert = params
        .signed_by(&leaf_key, &Issuer::new(inter_params, inter_key))
        .unwrap();
    Pki {
        root_der: root.der().to_vec(),
        chain_pem: format!("{}{}{}", leaf_cert.pem(), inter.pem(), root.pem()),
        leaf_der: leaf_cert.der().to_vec(),
        leaf_key_der: leaf_key.serialize_der(),
        inter_der: inter.der().to_vec(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn temp(suffix: &str, content: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new().suffix(suffix).tempfile().unwrap();
    f.write_all(content).unwrap();
    f
}

fn amtready(args: &[&str], env: Option<(&str, &str)>) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_amtready"));
    cmd.env("AMTREADY_NO_DNS", "1");
    cmd.args(args).env_remove("AMTREADY_LOG");
    if let Some((k, v)) = env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn cert_json(chain: &std::path::Path, extra: &[&str], env: Option<(&str, &str)>) -> (i32, Value) {
    let mut args = vec!["cert", chain.to_str().unwrap(), "--format", "json"];
    args.extend(extra);
    let out = amtready(&args, env);
    let value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), value)
}

fn rules(device: &Value) -> Vec<String> {
    device["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

/// A saved scan with one device per entry: (target, version, hashes, suffix).
fn scan_file(devices: &[(&str, &str, Value, &str)]) -> tempfile::NamedTempFile {
    let mut text = String::new();
    for (target, version, hashes, suffix) in devices {
        let record = json!({"target": target, "status": "ok",
            "amt": {"version": version, "source": "wsman", "cert_hashes": hashes,
                    "dhcp_dns_suffix": suffix}});
        text.push_str(&record.to_string());
        text.push('\n');
    }
    temp(".jsonl", text.as_bytes())
}

fn hash(kind: &str, hex: &str, enabled: bool) -> Value {
    json!({"instance_id": format!("{kind} {}", &hex[..8]), "hash_type": kind, "hash_hex": hex, "enabled": enabled})
}

#[test]
fn chains_that_pass_and_each_failure() {
    let good = pki(Leaf::default(), false);
    let root_sha1 = hex(&sha1(&good.root_der));
    let root_sha256 = hex(&sha256(&good.root_der));
    let chain = temp(".pem", good.chain_pem.as_bytes());

    // The hashes file: the root's SHA-1 among others.
    let hashes = temp(
        ".txt",
        format!("# defaults\n2796bae63f1801e277261ba0d77770028f20eee4\nsha1:{root_sha1}\n")
            .as_bytes(),
    );
    let (code, out) = cert_json(
        chain.path(),
        &[
            "--hashes",
            hashes.path().to_str().unwrap(),
            "--domain",
            "sales.corp.example.com",
        ],
        None,
    );
    assert_eq!(code, 0, "{out:#}");
    assert_eq!(out["devices"][0]["verdict"], "ready");
    assert_eq!(out["chain"]["root_sha1"], root_sha1);
    assert!(out["devices"][0]["trusted_roots"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n == "Go Daddy Class 2 CA"));

    // Devices from a saved scan, one per device-side case.
    let scan = scan_file(&[
        (
            "ok-sha1",
            "5.2.10",
            json!([hash("sha1", &root_sha1, true)]),
            "corp.example.com",
        ),
        (
            "ok-sha256",
            "6.2.61",
            json!([hash("sha256", &root_sha256, true)]),
            "corp.example.com",
        ),
        (
            "absent",
            "5.2.10",
            json!([hash(
                "sha1",
                "2796bae63f1801e277261ba0d77770028f20eee4",
                true
            )]),
            "corp.example.com",
        ),
        (
            "disabled",
            "5.2.10",
            json!([hash("sha1", &root_sha1, false)]),
            "corp.example.com",
        ),
        (
            "sha256-before-6",
            "5.2.10",
            json!([hash("sha256", &root_sha256, true)]),
            "corp.example.com",
        ),
        (
            "other-domain",
            "5.2.10",
            json!([hash("sha1", &root_sha1, true)]),
            "corp.northwind.example",
        ),
    ]);
    let (code, out) = cert_json(
        chain.path(),
        &["--scan", scan.path().to_str().unwrap()],
        None,
    );
    assert_eq!(code, 1, "{out:#}");
    let expect: [(&str, &[&str], &str); 6] = [
        ("ok-sha1", &[], ""),
        ("ok-sha256", &[], ""),
        ("absent", &["CERT-ROOT-HASH"], "not among"),
        ("disabled", &["CERT-ROOT-HASH"], "disabled"),
        ("sha256-before-6", &["CERT-ROOT-HASH"], "SHA-256/384"),
        ("other-domain", &["CERT-DOMAIN"], "corp.northwind.example"),
    ];
    for (target, want, says) in expect {
        let device = out["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["target"] == target)
            .unwrap();
        assert_eq!(rules(device), want, "{target}: {device:#}");
        if !says.is_empty() {
            let text = device["findings"].to_string();
            assert!(text.contains(says), "{target}: {text}");
            assert!(device["findings"][0]["fix"].is_string(), "{target}: a fix");
        }
    }

    // Chain-side failures, each on its own chain, against a device that has the root.
    let cases: [(&str, Pki, &str); 4] = [
        (
            "no AMT OID and no OU",
            pki(
                Leaf {
                    eku: vec![ExtendedKeyUsagePurpose::ServerAuth],
                    ..Leaf::default()
                },
                false,
            ),
            "CERT-LEAF-USAGE",
        ),
        (
            "expired leaf",
            pki(
                Leaf {
                    expired: true,
                    ..Leaf::default()
                },
                false,
            ),
            "CERT-VALIDITY",
        ),
        (
            "4096-bit root",
            pki(Leaf::default(), true),
            "CERT-CA-KEY-SIZE",
        ),
        (
            "leaf for another domain",
            pki(
                Leaf {
                    name: "provisionserver.other.test",
                    ..Leaf::default()
                },
                false,
            ),
            "CERT-DOMAIN",
        ),
    ];
    for (case, pki, rule) in cases {
        let chain = temp(".pem", pki.chain_pem.as_bytes());
        let root = hex(&sha1(&pki.root_der));
        let hashes = temp(".txt", root.as_bytes());
        let (code, out) = cert_json(
            chain.path(),
            &[
                "--hashes",
                hashes.path().to_str().unwrap(),
                "--domain",
                "corp.example.com",
            ],
            None,
        );
        assert_eq!(code, 1, "{case}: {out:#}");
        assert_eq!(rules(&out["devices"][0]), [rule], "{case}: {out:#}");
    }

    // The OU alone stands in for the EKU pair.
    let ou = pki(
        Leaf {
            eku: vec![],
            ou: Some("Intel(R) Client Setup Certificate"),
            ..Leaf::default()
        },
        false,
    );
    let chain = temp(".pem", ou.chain_pem.as_bytes());
    let hashes = temp(".txt", hex(&sha1(&ou.root_der)).as_bytes());
    let (code, out) = cert_json(
        chain.path(),
        &[
            "--hashes",
            hashes.path().to_str().unwrap(),
            "--domain",
            "corp.example.com",
        ],
        None,
    );
    assert_eq!(code, 0, "{out:#}");

    // A chain without its root cannot be matched.
    let no_root = format!(
        "{}{}",
        pem("CERTIFICATE", &good.leaf_der),
        pem("CERTIFICATE", &good.inter_der)
    );
    let chain = temp(".pem", no_root.as_bytes());
    let (code, out) = cert_json(
        chain.path(),
        &[
            "--hashes",
            hashes.path().to_str().unwrap(),
            "--domain",
            "corp.example.com",
        ],
        None,
    );
    assert_eq!(code, 1);
    assert!(
        out["devices"][0]["findings"]
            .to_string()
            .contains("does not include its root"),
        "{out:#}"
    );
}

fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[test]
fn a_password_protected_pfx_is_read_and_the_password_stays_out_of_argv() {
    let good = pki(Leaf::default(), false);
    let mut store = p12_keystore::KeyStore::new();
    let chain = p12_keystore::PrivateKeyChain::new(
        b"amtready".as_slice(),
        p12_keystore::PrivateKey::from_der(&good.leaf_key_der).unwrap(),
        [&good.leaf_der, &good.inter_der, &good.root_der]
            .into_iter()
            .map(|der| p12_keystore::Certificate::from_der(der).unwrap()),
    );
    store.add_entry(
        "provisioning",
        p12_keystore::KeyStoreEntry::PrivateKeyChain(chain),
    );
    let password = "Pfx-Pa55!";
    let pfx = temp(".pfx", &store.writer(password).write().unwrap());
    let hashes = temp(".txt", hex(&sha1(&good.root_der)).as_bytes());
    let args = [
        "--hashes",
        hashes.path().to_str().unwrap(),
        "--domain",
        "corp.example.com",
    ];
    let (code, out) = cert_json(
        pfx.path(),
        &[&args[..], &["--password-env", PFX_PASSWORD_VAR]].concat(),
        Some((PFX_PASSWORD_VAR, password)),
    );
    assert_eq!(code, 0, "{out:#}");
    assert!(!out.to_string().contains(password));
    // The wrong password is an input error naming the file, not a crash.
    let wrong = amtready(
        &[
            &[
                "cert",
                pfx.path().to_str().unwrap(),
                "--password-env",
                PFX_PASSWORD_VAR,
            ],
            &args[..],
        ]
        .concat(),
        Some((PFX_PASSWORD_VAR, "nope")),
    );
    assert_eq!(wrong.status.code(), Some(3), "{wrong:?}");
    assert!(!String::from_utf8_lossy(&wrong.stderr).contains("nope"));
}

/// `scan --provisioning-cert` runs the same check per host.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_runs_the_check_per_host() {
    use mock_amt::{start_fleet, DeviceConfig, Profile};
    let good = pki(Leaf::default(), false);
    let chain = temp(".pem", good.chain_pem.as_bytes());
    let fleet = start_fleet(vec![DeviceConfig::new(
        Profile::builtin("amt-5.2.10").unwrap(),
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
    )])
    .await
    .unwrap();
    let target = fleet.devices[0].addr().to_string();
    let chain_path = chain.path().to_str().unwrap().to_string();
    let out = tokio::task::spawn_blocking(move || {
        amtready(
            &[
                "scan",
                &target,
                "--format",
                "jsonl",
                "--timeout",
                "5",
                "--password-env",
                "AMTREADY_CERT_SCAN_PW",
                "--provisioning-cert",
                &chain_path,
            ],
            Some(("AMTREADY_CERT_SCAN_PW", mock_amt::DEFAULT_PASSWORD)),
        )
    })
    .await
    .unwrap();
    let record: Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().next().unwrap()).unwrap();
    // The mock's hashes are not this test root's: the device cannot be
    // provisioned with this chain.
    let findings = record["findings"].to_string();
    assert!(findings.contains("CERT-ROOT-HASH"), "{record:#}");
    assert_eq!(record["verdict"], "not_ready");
}

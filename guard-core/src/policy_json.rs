//! How the policy document's objects are read from JSON (`policy.md` §1):
//! each type's member names and one `match` over them, through the shared
//! loop of [`crate::members`] (decision 600). Absent optional members take
//! their defaults; a required one is a placeholder until read, and its
//! absence is refused (`missing field`) before the value is returned.

use serde::de::{Deserialize, Deserializer, MapAccess};

use crate::members::{self, Members};
use crate::policy::{
    ApiStatus, ApiType, App, AppKind, Control, Domains, Policy, Release, Scope, SensitiveApi,
};

impl<'de> Members<'de> for Policy {
    const EXPECTING: &'static str = "struct Policy";
    const NAMES: &'static [&'static str] = &[
        "schema",
        "superapp_id",
        "version",
        "issued_at",
        "expires_at",
        "mode",
        "blocked_hosts",
        "builtin_apis",
        "sensitive_apis",
        "apps",
        "iat",
        "nbf",
        "exp",
        "iss",
        "sub",
        "aud",
        "jti",
    ];
    const REQUIRED: u64 = 0b1111;

    #[inline(never)]
    fn member<A: MapAccess<'de>>(&mut self, index: usize, map: &mut A) -> Result<(), A::Error> {
        match index {
            0 => self.schema = map.next_value()?,
            1 => self.superapp_id = map.next_value()?,
            2 => self.version = map.next_value()?,
            3 => self.issued_at = map.next_value()?,
            4 => self.expires_at = map.next_value()?,
            5 => self.mode = map.next_value()?,
            6 => self.blocked_hosts = map.next_value()?,
            7 => self.builtin_apis = map.next_value()?,
            8 => self.sensitive_apis = map.next_value()?,
            9 => self.apps = map.next_value()?,
            10 => self.iat = map.next_value()?,
            11 => self.nbf = map.next_value()?,
            12 => self.exp = map.next_value()?,
            13 => self.iss = map.next_value()?,
            14 => self.sub = map.next_value()?,
            15 => self.aud = map.next_value()?,
            _ => self.jti = map.next_value()?,
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Policy {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Policy, D::Error> {
        members::read(d, Policy::default())
    }
}

impl<'de> Members<'de> for SensitiveApi {
    const EXPECTING: &'static str = "struct SensitiveApi";
    const NAMES: &'static [&'static str] = &["name", "status", "scope", "type", "description"];
    const REQUIRED: u64 = 0b1111;

    #[inline(never)]
    fn member<A: MapAccess<'de>>(&mut self, index: usize, map: &mut A) -> Result<(), A::Error> {
        match index {
            0 => self.name = map.next_value()?,
            1 => self.status = map.next_value()?,
            2 => self.scope = map.next_value()?,
            3 => self.api_type = map.next_value()?,
            _ => self.description = map.next_value()?,
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for SensitiveApi {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SensitiveApi, D::Error> {
        // The enum values are placeholders: a missing one is refused.
        let empty = SensitiveApi {
            name: String::new(),
            status: ApiStatus::Public,
            scope: Scope::All,
            api_type: ApiType::System,
            description: None,
        };
        members::read(d, empty)
    }
}

impl<'de> Members<'de> for App {
    const EXPECTING: &'static str = "struct App";
    const NAMES: &'static [&'static str] = &[
        "app_id",
        "kind",
        "control",
        "server_domains",
        "webview_domains",
        "api_whitelist",
        "granted_apis",
        "mode",
        "release",
        "removed",
        "domains",
    ];
    const REQUIRED: u64 = 0b11;

    #[inline(never)]
    fn member<A: MapAccess<'de>>(&mut self, index: usize, map: &mut A) -> Result<(), A::Error> {
        match index {
            0 => self.app_id = map.next_value()?,
            1 => self.kind = map.next_value()?,
            2 => self.control = map.next_value()?,
            3 => self.server_domains = map.next_value()?,
            4 => self.webview_domains = map.next_value()?,
            5 => self.api_whitelist = map.next_value()?,
            6 => self.granted_apis = map.next_value()?,
            7 => self.mode = map.next_value()?,
            8 => self.release = map.next_value()?,
            9 => self.removed = map.next_value()?,
            _ => self.domains = map.next_value()?,
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for App {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<App, D::Error> {
        let empty = App {
            app_id: String::new(),
            // A placeholder: a missing `kind` is refused.
            kind: AppKind::MiniProgram,
            control: Control::default(),
            server_domains: Vec::new(),
            webview_domains: Vec::new(),
            api_whitelist: Vec::new(),
            granted_apis: Vec::new(),
            mode: None,
            release: None,
            removed: None,
            domains: None,
        };
        members::read(d, empty)
    }
}

impl<'de> Members<'de> for Domains {
    const EXPECTING: &'static str = "struct Domains";
    const NAMES: &'static [&'static str] = &[
        "request", "upload", "download", "socket", "media", "udp", "tcp",
    ];
    const REQUIRED: u64 = 0;

    #[inline(never)]
    fn member<A: MapAccess<'de>>(&mut self, index: usize, map: &mut A) -> Result<(), A::Error> {
        let list = match index {
            0 => &mut self.request,
            1 => &mut self.upload,
            2 => &mut self.download,
            3 => &mut self.socket,
            4 => &mut self.media,
            5 => &mut self.udp,
            _ => &mut self.tcp,
        };
        *list = map.next_value()?;
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Domains {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Domains, D::Error> {
        members::read(d, Domains::default())
    }
}

impl<'de> Members<'de> for Release {
    const EXPECTING: &'static str = "struct Release";
    const NAMES: &'static [&'static str] = &["version", "package_sha256"];
    const REQUIRED: u64 = 0b11;

    #[inline(never)]
    fn member<A: MapAccess<'de>>(&mut self, index: usize, map: &mut A) -> Result<(), A::Error> {
        let text = match index {
            0 => &mut self.version,
            _ => &mut self.package_sha256,
        };
        *text = map.next_value()?;
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Release {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Release, D::Error> {
        let empty = Release {
            version: String::new(),
            package_sha256: String::new(),
        };
        members::read(d, empty)
    }
}

impl<'de> Members<'de> for Control {
    const EXPECTING: &'static str = "struct Control";
    const NAMES: &'static [&'static str] =
        &["media_domains", "server_domains", "apis", "webview_domains"];
    const REQUIRED: u64 = 0;

    #[inline(never)]
    fn member<A: MapAccess<'de>>(&mut self, index: usize, map: &mut A) -> Result<(), A::Error> {
        match index {
            0 => self.media_domains = map.next_value()?,
            1 => self.server_domains = map.next_value()?,
            2 => self.apis = map.next_value()?,
            _ => self.webview_domains = map.next_value()?,
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Control {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Control, D::Error> {
        members::read(d, Control::default())
    }
}

#[cfg(test)]
mod tests {
    use crate::Policy;

    const HEAD: &str = r#"{"schema":1,"superapp_id":"s","version":1,"issued_at":0"#;

    fn refusal(text: &str) -> String {
        Policy::from_json(text.as_bytes()).unwrap_err().to_string()
    }

    #[test]
    fn objects_written_as_arrays_are_refused_at_every_depth() {
        // serde's derived readers took these as the members in declaration
        // order; `policy.md` §1 describes objects.
        assert_eq!(
            refusal(r#"[1,"s",1,0]"#),
            "`policy`: invalid type: sequence, expected struct Policy at line 1 column 0"
        );
        let app = format!(r#"{HEAD},"apps":[["mp","mini_program"]]}}"#);
        assert_eq!(
            refusal(&app),
            "`apps[0]`: invalid type: sequence, expected struct App at line 1 column 64"
        );
        let cases = [
            (
                r#""sensitive_apis":[["a","public","all","system"]]"#,
                "`sensitive_apis[0]`: invalid type: sequence, expected struct SensitiveApi",
            ),
            (
                r#""apps":[{"app_id":"mp","kind":"mini_program","control":[true]}]"#,
                "`apps[0].control`: invalid type: sequence, expected struct Control",
            ),
            (
                r#""apps":[{"app_id":"mp","kind":"mini_program","release":["1","ab"]}]"#,
                "`apps[0].release`: invalid type: sequence, expected struct Release",
            ),
            (
                r#""apps":[{"app_id":"mp","kind":"mini_program","domains":[[]]}]"#,
                "`apps[0].domains`: invalid type: sequence, expected struct Domains",
            ),
        ];
        for (member, want) in cases {
            let got = refusal(&format!("{HEAD},{member}}}"));
            assert!(got.starts_with(want), "{member}\n got {got}\nwant {want}");
        }
    }

    /// The same texts and places as serde's derived readers (checked, with
    /// every other refusal, on the corpus of `scripts/refusal-corpus.py`).
    #[test]
    fn members_keep_serdes_messages_and_places() {
        let cases = [
            (r#""schema":2"#, "`policy`: duplicate field `schema` at line 1 column 64"),
            (r#""apps":[{"kind":"mini_program"}]"#, "`apps[0]`: missing field `app_id` at line 1 column 87"),
            (r#""apps":[{"app_id":"a","kind":"mini_app"}]"#, "`apps[0].kind`: unknown variant `mini_app`, expected `mini_program` or `mini_game` at line 1 column 95"),
            (r#""version2":1"#, "`version2`: unknown field `version2`, expected one of `schema`, `superapp_id`, `version`, `issued_at`, `expires_at`, `mode`, `blocked_hosts`, `builtin_apis`, `sensitive_apis`, `apps`, `iat`, `nbf`, `exp`, `iss`, `sub`, `aud`, `jti` at line 1 column 66"),
            (r#""expires_at":null,"mode":null"#, "`mode`: invalid type: null, expected one of enforce, report at line 1 column 85"),
        ];
        for (member, want) in cases {
            assert_eq!(refusal(&format!("{HEAD},{member}}}")), want, "{member}");
        }
        let missing = refusal(r#"{"schema":1,"superapp_id":"s","issued_at":0}"#);
        assert_eq!(
            missing,
            "`policy`: missing field `version` at line 1 column 44"
        );
    }
}

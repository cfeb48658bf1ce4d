//! A tiny JSON-RPC server over a fixed set of accounts, for tests of RPC clients (the keeper's
//! `RpcChain`, `pm account`) with no network: `getAccountInfo`, `getMultipleAccounts`,
//! `getProgramAccounts` (with `memcmp` and `dataSize` filters, base64 data), `getSlot`,
//! `getLatestBlockhash`, `getVersion`, `getHealth`. Every request body is recorded. Accounts
//! are typically copied from the embedded chain ([`FakeRpc::from_env`]).
use crate::Env;
use anchor_lang::prelude::Pubkey;
use base64::Engine;
use serde_json::{Value, json};
use solana_account::Account;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct FakeRpc {
    /// `http://127.0.0.1:<port>`
    pub url: String,
    accounts: Arc<Mutex<BTreeMap<Pubkey, Account>>>,
    requests: Arc<Mutex<Vec<Value>>>,
}

impl FakeRpc {
    /// Serves `accounts` on a free local port (threads live as long as the process).
    pub fn start(accounts: impl IntoIterator<Item = (Pubkey, Account)>) -> FakeRpc {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let rpc = FakeRpc {
            url,
            accounts: Arc::new(Mutex::new(accounts.into_iter().collect())),
            requests: Arc::new(Mutex::new(vec![])),
        };
        let server = rpc.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let s = server.clone();
                std::thread::spawn(move || s.connection(stream));
            }
        });
        rpc
    }

    /// Every account the embedded chain knows (program accounts, price feeds, the Clock
    /// sysvar) served as a cluster would.
    pub async fn from_env(env: &mut Env) -> FakeRpc {
        let mut keys: Vec<Pubkey> = env.known.iter().copied().collect();
        keys.push(solana_sdk_ids::sysvar::clock::ID);
        let mut accounts = vec![];
        for k in keys {
            if let Some(a) = env.account(&k).await {
                accounts.push((k, a));
            }
        }
        FakeRpc::start(accounts)
    }

    pub fn set_account(&self, key: Pubkey, account: Account) {
        self.accounts.lock().expect("accounts").insert(key, account);
    }

    /// The recorded request bodies of `method`.
    pub fn requests(&self, method: &str) -> Vec<Value> {
        self.requests.lock().expect("requests").iter().filter(|r| r["method"] == method).cloned().collect()
    }

    fn connection(&self, stream: TcpStream) {
        let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
        let mut out = stream;
        loop {
            // Headers up to the blank line; the body is Content-Length bytes.
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                let l = line.trim_end();
                if l.is_empty() {
                    break;
                }
                if let Some((k, v)) = l.split_once(':')
                    && k.eq_ignore_ascii_case("content-length")
                {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; len];
            if reader.read_exact(&mut body).is_err() {
                return;
            }
            let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let answer = match &request {
                Value::Array(batch) => Value::Array(batch.iter().map(|r| self.answer(r)).collect()),
                r => self.answer(r),
            };
            let text = answer.to_string();
            let head =
                format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", text.len());
            if out.write_all(head.as_bytes()).and_then(|_| out.write_all(text.as_bytes())).is_err() {
                return;
            }
        }
    }

    fn answer(&self, request: &Value) -> Value {
        self.requests.lock().expect("requests").push(request.clone());
        let id = request["id"].clone();
        let params = &request["params"];
        let context = json!({"slot": 100, "apiVersion": "4.2.2"});
        let accounts = self.accounts.lock().expect("accounts");
        let one = |k: &Value| -> Value {
            k.as_str()
                .and_then(|s| s.parse::<Pubkey>().ok())
                .and_then(|k| accounts.get(&k))
                .map(account_json)
                .unwrap_or(Value::Null)
        };
        let result = match request["method"].as_str().unwrap_or("") {
            "getAccountInfo" => json!({"context": context, "value": one(&params[0])}),
            "getMultipleAccounts" => {
                let keys = params[0].as_array().cloned().unwrap_or_default();
                json!({"context": context, "value": keys.iter().map(one).collect::<Vec<_>>()})
            }
            "getProgramAccounts" => {
                let program = params[0].as_str().and_then(|s| s.parse::<Pubkey>().ok());
                let filters = params[1]["filters"].as_array().cloned().unwrap_or_default();
                let found: Vec<Value> = accounts
                    .iter()
                    .filter(|(_, a)| Some(a.owner) == program && filters.iter().all(|f| passes(f, &a.data)))
                    .map(|(k, a)| json!({"pubkey": k.to_string(), "account": account_json(a)}))
                    .collect();
                Value::Array(found)
            }
            "getSlot" => json!(100),
            "getLatestBlockhash" => json!({"context": context, "value": {
                "blockhash": solana_hash::Hash::new_from_array([7; 32]).to_string(), "lastValidBlockHeight": 200}}),
            "getVersion" => json!({"solana-core": "4.2.2", "feature-set": 0}),
            "getHealth" => json!("ok"),
            other => {
                return json!({"jsonrpc": "2.0", "id": id,
                              "error": {"code": -32601, "message": format!("method not found: {other}")}});
            }
        };
        json!({"jsonrpc": "2.0", "id": id, "result": result})
    }
}

/// An account as `getAccountInfo` returns it with base64 encoding.
fn account_json(a: &Account) -> Value {
    json!({
        "data": [base64::engine::general_purpose::STANDARD.encode(&a.data), "base64"],
        "executable": a.executable,
        "lamports": a.lamports,
        "owner": a.owner.to_string(),
        "rentEpoch": a.rent_epoch,
        "space": a.data.len(),
    })
}

/// Whether `data` passes one `getProgramAccounts` filter (`memcmp` base58/base64, `dataSize`).
fn passes(filter: &Value, data: &[u8]) -> bool {
    if let Some(n) = filter["dataSize"].as_u64() {
        return data.len() as u64 == n;
    }
    let m = &filter["memcmp"];
    let (Some(offset), Some(bytes)) = (m["offset"].as_u64(), m["bytes"].as_str()) else { return false };
    let want = match m["encoding"].as_str().unwrap_or("base58") {
        "base64" => base64::engine::general_purpose::STANDARD.decode(bytes).ok(),
        _ => bs58::decode(bytes).into_vec().ok(),
    };
    let offset = offset as usize;
    want.is_some_and(|w| data.get(offset..offset + w.len()) == Some(&w[..]))
}

//! Languages: the page language from `Accept-Language` and the `lang` cookie of the
//! switch, its headers, Chinese flash messages and mails, and English unchanged.

use rocket::http::{ContentType, Header, Status};

use super::common::*;

const ZH: &str = "zh-CN,zh;q=0.9,en;q=0.8";

async fn get_in(app: &TestApp, path: &str, accept: &str) -> (Status, Option<String>, String) {
    let r = app
        .client
        .get(path.to_owned())
        .header(Header::new("Accept-Language", accept.to_owned()))
        .dispatch()
        .await;
    let lang = r.headers().get_one("Content-Language").map(str::to_owned);
    let s = r.status();
    (s, lang, r.into_string().await.unwrap_or_default())
}

#[rocket::async_test]
async fn accept_language_chooses_chinese_and_english_stays_as_it_was() {
    let app = app().await;
    let (s, lang, zh) = get_in(&app, "/", ZH).await;
    assert_eq!(s, Status::Ok);
    assert_eq!(lang.as_deref(), Some("zh-CN"));
    assert!(zh.contains("<html lang=\"zh-CN\">"), "{zh}");
    assert!(zh.contains("<title>HC 权益池 - 欢迎</title>"), "{zh}");
    assert!(zh.contains("欢迎使用 HC 权益池"), "{zh}");
    assert!(zh.contains(">首页</a>") && zh.contains(">登录</a>"), "{zh}");
    assert!(!zh.contains("Welcome to the HC stake pool"), "{zh}");
    // The switch offers English.
    assert!(zh.contains("<a href=\"/lang?to=en\""), "{zh}");

    for accept in ["", "en-US,en;q=0.9", "de-DE", "zh-TW"] {
        let (_, lang, en) = get_in(&app, "/", accept).await;
        assert_eq!(lang.as_deref(), Some("en"), "{accept:?}");
        assert!(en.contains("<html lang=\"en\">"), "{accept:?}");
        assert!(en.contains("<title>HC Stake Pool - Welcome</title>"));
        assert!(en.contains("Welcome to the HC stake pool"));
        assert!(en.contains("<a href=\"/lang?to=zh-CN\""), "{en}");
    }
    // Every public page is Chinese, with its headers.
    for (path, needle) in [
        ("/stats", "区块高度"),
        ("/signin", "忘记密码？"),
        ("/signup", "再次输入密码"),
        ("/passwordreset", "发送重置链接"),
        ("/resendverification", "重新发送验证邮件"),
        ("/error", "临时错误"),
    ] {
        let r = app
            .client
            .get(path)
            .header(Header::new("Accept-Language", ZH))
            .dispatch()
            .await;
        assert_eq!(r.headers().get_one("Content-Language"), Some("zh-CN"));
        assert_eq!(
            r.headers().get_one("Vary"),
            Some("Accept-Language, Cookie"),
            "{path}"
        );
        let body = r.into_string().await.unwrap_or_default();
        assert!(body.contains(needle), "{path}: {body}");
    }
    // The JSON API is not translated and carries no language headers.
    let r = app
        .client
        .get("/api/v1/stats")
        .header(Header::new("Accept-Language", ZH))
        .dispatch()
        .await;
    assert_eq!(r.headers().get_one("Content-Language"), None);
    assert_eq!(r.headers().get_one("Vary"), None);
}

#[rocket::async_test]
async fn the_switch_cookie_overrides_the_header() {
    let app = app().await;
    let r = app
        .client
        .get("/lang?to=zh-CN")
        .header(Header::new("Referer", "http://localhost/stats?x=1"))
        .dispatch()
        .await;
    assert_eq!(r.status(), Status::SeeOther);
    assert_eq!(r.headers().get_one("Location"), Some("/stats?x=1"));
    let set: Vec<String> = r.headers().get("Set-Cookie").map(str::to_owned).collect();
    assert!(
        set.iter()
            .any(|c| c.starts_with("lang=zh-CN") && c.contains("HttpOnly")),
        "{set:?}"
    );
    // An English browser now gets Chinese.
    let (_, lang, page) = get_in(&app, "/", "en-US").await;
    assert_eq!(lang.as_deref(), Some("zh-CN"));
    assert!(page.contains("欢迎使用 HC 权益池"));
    assert!(page.contains("<strong lang=\"zh-CN\">简体中文</strong>"));
    // And back; a link from elsewhere goes home.
    let r = app
        .client
        .get("/lang?to=en")
        .header(Header::new(
            "Referer",
            "https://evil.example//evil.example/",
        ))
        .dispatch()
        .await;
    assert_eq!(r.headers().get_one("Location"), Some("/"));
    let (_, lang, page) = get_in(&app, "/", ZH).await;
    assert_eq!(lang.as_deref(), Some("en"));
    assert!(page.contains("Welcome to the HC stake pool"));
    // An unknown language clears the choice: the header decides again.
    app.client.get("/lang?to=xx").dispatch().await;
    let (_, lang, _) = get_in(&app, "/", ZH).await;
    assert_eq!(lang.as_deref(), Some("zh-CN"));
}

#[rocket::async_test]
async fn chinese_sign_up_gets_chinese_flash_and_mail() {
    let app = app().await;
    let r = app
        .client
        .get("/signup")
        .header(Header::new("Accept-Language", ZH))
        .dispatch()
        .await;
    let csrf = csrf_in(&r.into_string().await.unwrap()).unwrap();
    let post = |body: String| {
        app.client
            .post("/signup")
            .header(ContentType::Form)
            .header(Header::new("Accept-Language", ZH))
            .body(body)
            .dispatch()
    };
    post(format!(
        "email=zh%40example.com&password=longpassword&passwordrepeat=otherpassword&csrf_token={csrf}"
    ))
    .await;
    let (_, _, page) = get_in(&app, "/signup", ZH).await;
    assert!(page.contains("两次输入的密码不一致"), "{page}");
    post(format!(
        "email=zh%40example.com&password=longpassword&passwordrepeat=longpassword&csrf_token={csrf}"
    ))
    .await;
    let (_, _, page) = get_in(&app, "/signup", ZH).await;
    assert!(page.contains("验证邮件已发送至 zh@example.com"), "{page}");
    let mails = app.sent().await.clone();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject, "权益池邮箱验证");
    assert!(
        mails[0].body.contains("尊敬的 HCASH 用户"),
        "{}",
        mails[0].body
    );
    let path = link_in(&mails[0].body);
    assert!(path.starts_with("/emailverify?t="), "{path}");
    // The verification page, in Chinese.
    let (_, _, page) = get_in(&app, &path, ZH).await;
    assert!(page.contains("邮箱验证成功"), "{page}");
}

#[rocket::async_test]
async fn a_failing_page_and_an_unknown_one_are_translated() {
    let app = app().await;
    let (s, lang, page) = get_in(&app, "/no-such-page", ZH).await;
    assert_eq!(s, Status::NotFound);
    assert_eq!(lang.as_deref(), Some("zh-CN"));
    assert!(page.contains("<html lang=\"zh-CN\">"), "{page}");
    assert!(page.contains("出错了，请稍后再试。"), "{page}");
    let (_, _, page) = get_in(&app, "/no-such-page", "en").await;
    assert!(page.contains("Something went wrong. Please try again later."));
}

/// The voting page's agendas come from the chain parameters in English; the catalogue
/// translates them by agenda and choice id.
#[rocket::async_test]
async fn agendas_on_the_voting_page_are_translated() {
    let app = app().await;
    app.user("v@example.com", "password1").await;
    app.sign_in("v@example.com", "password1").await;
    let (_, _, page) = get_in(&app, "/voting", ZH).await;
    assert!(
        page.contains("maxblocksize: 将允许的最大区块大小从 1MiB 改为 1.25MB"),
        "{page}"
    );
    assert!(
        page.contains(">赞成更改允许的最大区块大小</option>"),
        "{page}"
    );
    let (_, _, page) = get_in(&app, "/voting", "en").await;
    assert!(
        page.contains("maxblocksize: Change maximum allowed block size from 1MiB to 1.25MB"),
        "{page}"
    );
    assert!(
        page.contains(">accept changing max allowed block size</option>"),
        "{page}"
    );
}

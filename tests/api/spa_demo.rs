//! The browser demo of examples/ (SPA_DEMO=true).

use crate::helpers::TestApp;

api_tests! {
    fn the_spa_demo_is_off_by_default(backend) {
        let app = TestApp::spawn(backend);
        app.get("/").send().assert_error(404, "not_found");
        app.get("/jwt-client.js").send().assert_error(404, "not_found");
    }

    fn the_spa_demo_serves_its_page_and_scripts_when_enabled(backend) {
        let app = TestApp::spawn_with(backend, |c| c.spa_demo = true);
        let page = app.get("/").send();
        assert_eq!(page.status, 200);
        assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
        assert!(page.text.contains(r#"<script type="module" src="/app.js">"#));
        let client = app.get("/jwt-client.js").send();
        assert_eq!((client.status, client.header("content-type")), (200, Some("text/javascript; charset=utf-8")));
        assert!(client.text.contains("export function createClient"));
        for page in ["/reset-password?token=t&email=e%40example.com", "/email-verified"] {
            let response = app.get(page).send();
            assert_eq!(response.status, 200, "{page}");
            assert!(response.text.contains(r#"src="/app.js""#), "{page}");
        }
        app.get("/../Cargo.toml").send().assert_error(404, "not_found");
        app.get("/examples/spa/index.html").send().assert_error(404, "not_found");
    }
}

//! The fixed allow-list of public product names of crawlers, feed readers and tools.
//!
//! A name is kept only when it is on this list; the user agent's own text never is. Each
//! entry's name is also the token its synthetic user agent carries, so that analyzers
//! (GoAccess, AWStats) apply the same rule to it as to the raw user agent.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::record::Device;

/// A product: the token that reveals it (matched ignoring ASCII case), its public name and
/// its kind. The leftmost token in a user agent wins (`Feedly … like FeedFetcher-Google` is
/// Feedly); of tokens starting at the same place, the earlier entry (`Googlebot-Image`
/// before `Googlebot`).
pub(super) struct Product {
    token: &'static str,
    pub(super) name: &'static str,
    pub(super) kind: Device,
}

const fn bot(token: &'static str, name: &'static str) -> Product {
    Product {
        token,
        name,
        kind: Device::Bot,
    }
}

const fn feed(token: &'static str, name: &'static str) -> Product {
    Product {
        token,
        name,
        kind: Device::Feed,
    }
}

const fn tool(token: &'static str, name: &'static str) -> Product {
    Product {
        token,
        name,
        kind: Device::Tool,
    }
}

/// Feed readers and aggregators, crawlers and monitors, tools and HTTP libraries.
pub(super) const PRODUCTS: &[Product] = &[
    // Feed readers.
    feed("Feedfetcher-Google", "Feedfetcher-Google"),
    feed("FeedBurner", "FeedBurner"),
    feed("Feedly", "Feedly"),
    feed("Feedbin", "Feedbin"),
    feed("NewsBlur", "NewsBlur"),
    feed("Inoreader", "Inoreader"),
    feed("Feedspot", "Feedspot"),
    feed("Feedbot", "Feedbot"),
    feed("Miniflux", "Miniflux"),
    feed("Tiny Tiny RSS", "Tiny Tiny RSS"),
    feed("FreshRSS", "FreshRSS"),
    feed("NetNewsWire", "NetNewsWire"),
    feed("Liferea", "Liferea"),
    feed("Akregator", "Akregator"),
    feed("theoldreader", "theoldreader"),
    feed("Bloglines", "Bloglines"),
    feed("Netvibes", "Netvibes"),
    feed("Flipboard", "Flipboard"),
    feed("BazQux", "BazQux"),
    feed("FeedHQ", "FeedHQ"),
    feed("FeedDemon", "FeedDemon"),
    feed("RSSOwl", "RSSOwl"),
    feed("Newsboat", "Newsboat"),
    feed("newsbeuter", "newsbeuter"),
    feed("Superfeedr", "Superfeedr"),
    feed("FeedPress", "FeedPress"),
    feed("Feeder.co", "Feeder.co"),
    feed("g2reader", "g2reader"),
    feed("AppleNewsBot", "AppleNewsBot"),
    feed("Apple-PubSub", "Apple-PubSub"),
    feed("WebFeedParser", "WebFeedParser"),
    feed("UniversalFeedParser", "UniversalFeedParser"),
    feed("Universal Feed Parser", "UniversalFeedParser"),
    feed("feedparser", "feedparser"),
    feed("SimplePie", "SimplePie"),
    feed("MagpieRSS", "MagpieRSS"),
    feed("rss2email", "rss2email"),
    feed("Bloglovin", "Bloglovin"),
    feed("Digg Feed Fetcher", "Digg Feed Fetcher"),
    feed("YandexBlogs", "YandexBlogs"),
    feed("Fever/", "Fever"),
    feed("Thunderbird/", "Thunderbird"),
    feed("BTWebClient", "BTWebClient"),
    // Crawlers; specific variants before their family.
    bot("Googlebot-Image", "Googlebot-Image"),
    bot("Googlebot-News", "Googlebot-News"),
    bot("Googlebot-Video", "Googlebot-Video"),
    bot("Googlebot-Mobile", "Googlebot-Mobile"),
    bot("Googlebot", "Googlebot"),
    bot("AdsBot-Google-Mobile", "AdsBot-Google-Mobile"),
    bot("AdsBot-Google", "AdsBot-Google"),
    bot("Mediapartners-Google", "Mediapartners-Google"),
    bot("APIs-Google", "APIs-Google"),
    bot("Google-InspectionTool", "Google-InspectionTool"),
    bot("Storebot-Google", "Storebot-Google"),
    bot("GoogleOther", "GoogleOther"),
    bot("Google-Extended", "Google-Extended"),
    bot("Google Favicon", "Google Favicon"),
    bot("Google Web Preview", "Google Web Preview"),
    bot("GoogleImageProxy", "GoogleImageProxy"),
    bot("Google-Read-Aloud", "Google-Read-Aloud"),
    bot("Google-Site-Verification", "Google-Site-Verification"),
    bot("bingbot", "bingbot"),
    bot("BingPreview", "BingPreview"),
    bot("msnbot", "msnbot"),
    bot("adidxbot", "adidxbot"),
    bot("YandexImages", "YandexImages"),
    bot("YandexMobileBot", "YandexMobileBot"),
    bot("YandexBot", "YandexBot"),
    bot("Baiduspider-image", "Baiduspider-image"),
    bot("Baiduspider", "Baiduspider"),
    bot("DuckDuckGo-Favicons-Bot", "DuckDuckGo-Favicons-Bot"),
    bot("DuckDuckBot", "DuckDuckBot"),
    bot("Applebot", "Applebot"),
    bot("Yahoo! Slurp", "Slurp"),
    bot("Slurp", "Slurp"),
    bot("facebookexternalhit", "facebookexternalhit"),
    bot("facebookcatalog", "facebookcatalog"),
    bot("Facebot", "Facebot"),
    bot("meta-externalagent", "meta-externalagent"),
    bot("Twitterbot", "Twitterbot"),
    bot("LinkedInBot", "LinkedInBot"),
    bot("Pinterestbot", "Pinterestbot"),
    bot("redditbot", "redditbot"),
    bot("Slackbot", "Slackbot"),
    bot("Slack-ImgProxy", "Slack-ImgProxy"),
    bot("Discordbot", "Discordbot"),
    bot("TelegramBot", "TelegramBot"),
    bot("WhatsApp", "WhatsApp"),
    bot("SkypeUriPreview", "SkypeUriPreview"),
    bot("Embedly", "Embedly"),
    bot("AhrefsSiteAudit", "AhrefsSiteAudit"),
    bot("AhrefsBot", "AhrefsBot"),
    bot("SemrushBot", "SemrushBot"),
    bot("SiteAuditBot", "SiteAuditBot"),
    bot("MJ12bot", "MJ12bot"),
    bot("DotBot", "DotBot"),
    bot("rogerbot", "rogerbot"),
    bot("BLEXBot", "BLEXBot"),
    bot("SeznamBot", "SeznamBot"),
    bot("PetalBot", "PetalBot"),
    bot("AspiegelBot", "AspiegelBot"),
    bot("Sogou", "Sogou"),
    bot("360Spider", "360Spider"),
    bot("YisouSpider", "YisouSpider"),
    bot("Bytespider", "Bytespider"),
    bot("MojeekBot", "MojeekBot"),
    bot("Qwantify", "Qwantify"),
    bot("Exabot", "Exabot"),
    bot("CCBot", "CCBot"),
    bot("GPTBot", "GPTBot"),
    bot("ChatGPT-User", "ChatGPT-User"),
    bot("OAI-SearchBot", "OAI-SearchBot"),
    bot("ClaudeBot", "ClaudeBot"),
    bot("Claude-Web", "Claude-Web"),
    bot("anthropic-ai", "anthropic-ai"),
    bot("PerplexityBot", "PerplexityBot"),
    bot("Amazonbot", "Amazonbot"),
    bot("ia_archiver", "ia_archiver"),
    bot("archive.org_bot", "archive.org_bot"),
    bot("heritrix", "heritrix"),
    bot("Screaming Frog SEO Spider", "Screaming Frog SEO Spider"),
    bot("UptimeRobot", "UptimeRobot"),
    bot("Pingdom", "Pingdom"),
    bot("StatusCake", "StatusCake"),
    bot("Site24x7", "Site24x7"),
    bot("NetcraftSurveyAgent", "NetcraftSurveyAgent"),
    bot("Nimbostratus-Bot", "Nimbostratus-Bot"),
    bot("CensysInspect", "CensysInspect"),
    bot("Expanse", "Expanse"),
    bot("zgrab", "zgrab"),
    bot("masscan", "masscan"),
    bot("W3C_Validator", "W3C_Validator"),
    bot("W3C-checklink", "W3C-checklink"),
    bot("Validator.nu", "Validator.nu"),
    bot("HeadlessChrome", "HeadlessChrome"),
    bot("PhantomJS", "PhantomJS"),
    bot("Lighthouse", "Lighthouse"),
    bot("Chrome-Lighthouse", "Chrome-Lighthouse"),
    bot("CloudFlare-AlwaysOnline", "CloudFlare-AlwaysOnline"),
    bot("Scrapy", "Scrapy"),
    bot("Nutch", "Nutch"),
    bot("HTTrack", "HTTrack"),
    bot("Qwantbot", "Qwantbot"),
    bot("coccocbot", "coccocbot"),
    bot("DataForSeoBot", "DataForSeoBot"),
    bot("serpstatbot", "serpstatbot"),
    bot("Barkrowler", "Barkrowler"),
    bot("ZoominfoBot", "ZoominfoBot"),
    bot("Mail.RU_Bot", "Mail.RU_Bot"),
    bot("Daum/", "Daum"),
    bot("Yeti", "Yeti"),
    bot("Naver", "Naver"),
    // Crawlers GoAccess knows by name.
    bot("AppEngine-Google", "AppEngine-Google"),
    bot("netEstate", "netEstate"),
    bot("PiplBot", "PiplBot"),
    bot("IstellaBot", "IstellaBot"),
    bot("PagesInventory", "PagesInventory"),
    bot("fastbot", "fastbot"),
    bot("yacybot", "yacybot"),
    bot("Pandalytics", "Pandalytics"),
    bot("HTTP Banner Detection", "HTTP Banner Detection"),
    bot("NetSystemsResearch", "NetSystemsResearch"),
    bot("Nextcloud Server Crawler", "Nextcloud Server Crawler"),
    bot("GoScraper", "GoScraper"),
    bot("ZmEu", "ZmEu"),
    bot("DowntimeDetector", "DowntimeDetector"),
    bot("MauiBot", "MauiBot"),
    // Tools, HTTP libraries and configuration-management clients.
    tool("curl", "curl"),
    tool("Wget/", "Wget"),
    tool("python-requests", "python-requests"),
    tool("python-httpx", "python-httpx"),
    tool("Python-urllib", "Python-urllib"),
    tool("Python/", "Python"),
    tool("aiohttp", "aiohttp"),
    tool("PycURL", "PycURL"),
    tool("Go-http-client", "Go-http-client"),
    tool("okhttp", "okhttp"),
    tool("Google-HTTP-Java-Client", "Google-HTTP-Java-Client"),
    tool("CFNetwork/", "CFNetwork"),
    tool("Dalvik/", "Dalvik"),
    tool("Apache-HttpClient", "Apache-HttpClient"),
    tool("Jakarta Commons-HttpClient", "Jakarta Commons-HttpClient"),
    tool("Java/", "Java"),
    tool("libwww-perl", "libwww-perl"),
    tool("LWP::Simple", "libwww-perl"),
    tool("GuzzleHttp", "GuzzleHttp"),
    tool("axios", "axios"),
    tool("node-fetch", "node-fetch"),
    tool("undici", "undici"),
    tool("Faraday", "Faraday"),
    tool("HTTPie", "HTTPie"),
    tool("PowerShell", "PowerShell"),
    tool("WinHttp", "WinHttp"),
    tool("Chef Client", "Chef Client"),
    tool("Puppet", "Puppet"),
    tool("Ansible", "Ansible"),
    tool("Homebrew", "Homebrew"),
    tool("APT-HTTP", "APT-HTTP"),
    tool("Apt-Cacher", "Apt-Cacher"),
    tool("pacman", "pacman"),
    tool("libfetch", "libfetch"),
    tool("aria2", "aria2"),
    tool("check_http", "check_http"),
    tool("Zabbix", "Zabbix"),
    tool("Ruby/", "Ruby"),
    tool("AndroidDownloadManager", "AndroidDownloadManager"),
    tool("Microsoft-WebDAV", "Microsoft-WebDAV"),
    tool("stagefright", "stagefright"),
    tool("PHP/", "PHP"),
];

/// Generic markers of automated clients whose name is not on the list (matched ignoring
/// ASCII case, like the product tokens).
const BOT_MARKERS: &[&str] = &[
    "bot", "crawl", "spider", "slurp", "monitor", "scan", "fetch", "+http", "(http", "; http", "@",
];

/// One automaton over every product token, then every marker, built once.
static AUTOMATON: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostFirst)
        .build(
            PRODUCTS
                .iter()
                .map(|p| p.token)
                .chain(BOT_MARKERS.iter().copied()),
        )
        .expect("the product tokens form a valid automaton")
});

/// What the automaton found in a user agent.
pub(super) enum Found {
    /// A listed product, and the offset just after its token.
    Product(&'static Product, usize),
    /// No listed product, but a generic marker of an automated client.
    Marker,
    /// Neither.
    Nothing,
}

/// The product named first in `ua`, or whether a generic robot marker occurs. A token
/// ending in `/` names its product only when a version follows (`Java/1.8`, not
/// `Java/ASVM`).
pub(super) fn product(ua: &[u8]) -> Found {
    let mut found = Found::Nothing;
    for m in AUTOMATON.find_iter(ua) {
        let Some(product) = PRODUCTS.get(m.pattern().as_usize()) else {
            found = Found::Marker;
            continue;
        };
        let versioned = ua.get(m.end()).is_some_and(u8::is_ascii_digit);
        if !product.token.ends_with('/') || versioned {
            return Found::Product(product, m.end());
        }
    }
    found
}

/// Whether `name` is a product name on the list (so a synthetic user agent carrying it
/// classifies back to it).
#[cfg(test)]
pub(super) fn is_listed(name: &str) -> bool {
    PRODUCTS.iter().any(|p| p.name == name)
}

# Varnish in front of gunicorn (`make serve-proxy`). It keeps only what the site marks shareable
# (Cache-Control: public with s-maxage, pagecache/middleware.py) and forgets a page when one of
# the tags in its xkey header is purged (pagecache/purge.py, after every commit that changes it).
vcl 4.1;

import std;
import xkey;

backend default {
    .host = "127.0.0.1";
    .port = "8001";  # replaced by make serve-proxy with the gunicorn port
}

acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "xkey-purge header required"));
        }
        return (synth(200, "Purged " + xkey.purge(req.http.xkey-purge)));
    }
    # Tracking parameters never make a different page.
    set req.url = regsuball(req.url, "(?i)([?&])(utm_[a-z]+|gclid|fbclid)=[^&]*", "\1");
    set req.url = regsuball(req.url, "[?&]+$", "");
    set req.url = regsub(req.url, "\?&+", "?");
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # A session or CSRF cookie: a visitor who may be signed in or holds a form.
    if (req.http.Cookie ~ "(^|;\s*)(sessionid|csrftoken|messages)=") {
        return (pass);
    }
    unset req.http.Cookie;
    return (hash);
}

sub vcl_backend_response {
    # Hashed static files (WhiteNoise: public, immutable, a year): kept a day, as a CDN would.
    if (bereq.url ~ "^/static/" && beresp.status == 200
        && beresp.http.Cache-Control ~ "immutable" && !beresp.http.Set-Cookie) {
        set beresp.ttl = 1d;
        return (deliver);
    }
    if (beresp.http.Set-Cookie
        || beresp.http.Cache-Control !~ "public"
        || beresp.http.Cache-Control !~ "s-maxage") {
        set beresp.uncacheable = true;
        set beresp.ttl = 120s;
        return (deliver);
    }
    if (beresp.http.Content-Type ~ "text/html") {
        set beresp.do_gzip = true;
    }
    set beresp.grace = 30s;
}

sub vcl_deliver {
    if (obj.hits > 0) {
        set resp.http.X-Proxy-Cache = "hit";
    } else {
        set resp.http.X-Proxy-Cache = "miss";
    }
    unset resp.http.xkey;
}

"""The network side of a crawl: the SSRF address policy and resolver, downloader fixes, the browser
handler and the frontier shared over Redis."""

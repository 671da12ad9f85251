"""The public knowledge base: home, categories, articles with feedback, search (full page and live) and sitemap."""

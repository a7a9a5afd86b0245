#!/usr/bin/env bash
# Debian's Chromium, for the tests that render audit.html and report.html headless.
exec bash "$(dirname "$0")/apt-install.sh" chromium fonts-dejavu-core

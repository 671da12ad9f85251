"""Signing in and out, sessions, and the guards every other feature uses."""

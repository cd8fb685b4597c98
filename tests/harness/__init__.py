"""Test harness: real servers on the loopback interface for the live tests."""

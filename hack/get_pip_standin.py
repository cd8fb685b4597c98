"""Stand-in for the get-pip bootstrap script that ansible-test downloads.

ansible-test builds each sanity virtualenv without pip and then runs a cached
``get_pip_<version>.py`` with pip-install arguments.  The real script comes from
a host this workplace cannot reach, so this one does the same job with the
interpreter's own ensurepip followed by a normal ``pip install`` (both as
subprocesses, so the machine's pip configuration applies).
"""
import subprocess
import sys


def main():
    args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
    subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade'])
    subprocess.check_call([sys.executable, '-m', 'pip', 'install'] + args)


if __name__ == '__main__':
    main()

"""Make the repository importable as ``ansible_collections.mailtls.remediation``.

ansible-test runs from a copy that already sits under that path; plain pytest
runs from the checkout, so a tree with one symlink gives the same import names
(and the same ANSIBLE_COLLECTIONS_PATH for real Ansible runs) without installing
anything.  The tree lives inside this checkout's ignored ``build/`` folder, so two
clones on one machine never point each other's tests at their code.
"""
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def collection_root():
    parts = REPO.split(os.sep)
    if parts[-3:-2] == ['ansible_collections'] and parts[-2:] == ['mailtls', 'remediation']:
        return os.sep.join(parts[:-3])
    root = os.path.join(REPO, 'build', 'pytest-collections')
    link = os.path.join(root, 'ansible_collections', 'mailtls', 'remediation')
    if not os.path.islink(link) or os.readlink(link) != REPO:
        os.makedirs(os.path.dirname(link), exist_ok=True)
        tmp = link + '.%d' % os.getpid()
        os.symlink(REPO, tmp)
        os.replace(tmp, link)
    return root


COLLECTIONS_ROOT = collection_root()
if COLLECTIONS_ROOT not in sys.path:
    sys.path.insert(0, COLLECTIONS_ROOT)

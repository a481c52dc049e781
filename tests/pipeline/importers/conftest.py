import pytest


@pytest.fixture(scope="session")
def smollm2_backend():
    """The real SmolLM2-135M-Instruct (packaged GGUF), loaded once for the whole test session."""
    from pipeline.backends import create_backend

    backend = create_backend("transformers", model="smollm2-135m-instruct", dtype="float32", device="cpu")
    yield backend
    backend.close()

# Partials: the Streamlit app, CPU torch. Build: docker build -t partials .
# Run:   docker run -p 8501:8501 partials        (see docs/DEPLOYMENT.md for limits and replicas)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PARTIALS_MAX_POINTS=4000000 PARTIALS_JOB_SECONDS=20 PARTIALS_JOB_WALL_SECONDS=120 \
    PARTIALS_JOB_MEMORY_BYTES=3221225472 \
    PARTIALS_JOB_WORKERS=2

WORKDIR /app
COPY requirements.txt .
# The CPU wheel of torch (the default index would pull gigabytes of CUDA packages).
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
 && pip install -r requirements.txt

COPY app.py ./
COPY compute ./compute
COPY ui ./ui
COPY pages ./pages
COPY .streamlit ./.streamlit

RUN useradd --create-home --uid 10001 partials
USER partials

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=3s --start-period=40s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=2).read() == b'ok' else 1)"

CMD ["streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501"]
